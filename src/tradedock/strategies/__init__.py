"""Built-in strategies: pure signal generators over an exchange's candles (issue 15).

What belongs here: each built-in strategy's parameters (validated, with errors that name the field and the fix),
its evaluation — candles and the time in, at most one signal out — and the catalog that lists them. A signal's id
is derived from the strategy's own clock (a candle's open time, a schedule slot), so evaluating twice, or in two
workers, yields the same id and the signal store's uniqueness refuses the copy. What does not: fetching candles,
storing signals or trading (``services/builtin_strategies.py`` runs these in the worker). This package imports
only ``tradedock.domain`` and ``tradedock.errors`` (import-linter contract).

Modules: ``base.py`` (the signal, parameter specs and parsing helpers), ``moving_average.py`` (SMA crossover),
``dca.py`` (a DCA schedule), ``catalog.py`` (`BUILTINS`, `get_builtin`).
"""
