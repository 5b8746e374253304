"""TradeDock: connect exchange accounts by API key: verify, vault, monitor. Nothing is built at import time."""

__version__ = "0.1.0"
