"""Exchange adapters: one folder per exchange (endpoints, signing, errors, adapter), an explicit registry.

Import `tradedock.exchanges.registry` to get specs and adapter factories; `base` holds the contract.
"""
