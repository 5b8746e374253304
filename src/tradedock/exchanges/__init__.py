"""Exchange adapters: one folder per exchange (spec, profile, guide, endpoints, signing, errors, parsing, adapter),
an explicit registry.

Import `tradedock.exchanges.registry` to get specs and adapter factories (cheap: specs only; an adapter loads when
its exchange is first used); `base`, `profile` and `guide` hold the contract types. docs/architecture.md
"Exchange registry" describes the contract, docs/adding-an-exchange.md the steps.
"""
