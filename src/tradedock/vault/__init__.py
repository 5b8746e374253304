"""Envelope encryption of connection secrets (see ../shared/reference/security.md §2.6)."""
