"""``python -m tradedock`` runs the CLI."""

from tradedock.cli.main import main

main()
