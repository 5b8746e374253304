"""The ``tradedock`` command line: a thin shell over `tradedock.services`."""
