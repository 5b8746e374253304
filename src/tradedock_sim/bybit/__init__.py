"""Bybit V5 simulator: plugin (`plugin.py`), auth (`auth.py`), endpoints (`market.py`, `routes.py`,
`positions.py`), envelope and codes (`envelope.py`), permission vocabulary, scenario presets."""
