"""The registry is lazy: listing exchanges, reading specs, inspecting credentials and rendering guides never import
eth-account (nor py_ecc), SQLAlchemy, httpx or the simulators; an exchange's adapter loads only when it is used.

Each case runs in a fresh interpreter (``sys.modules`` of the test process already holds everything).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("eth_account", "py_ecc", "eth_utils", "coincurve", "sqlalchemy", "httpx", "tradedock_sim")

_PRELUDE = """
import json, sys
from tradedock.config import Settings
from tradedock.exchanges.registry import EXCHANGES, get_spec
from tradedock.services.guides import exchanges_help, get_guide
"""

_REPORT = f"""
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))
"""


def loaded_after(code: str, tmp_path: Path) -> list[str]:
    script = _PRELUDE + code + _REPORT
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={"TRADEDOCK_HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    loaded: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return loaded


def test_registry_guides_and_inspection_import_nothing_heavy(tmp_path: Path) -> None:
    code = """
exchanges_help()
for exchange, entry in EXCHANGES.items():
    get_guide(exchange, Settings(egress_ips=("203.0.113.7",), balance_minimums={"bybit": 500}))
    spec = entry.spec
    spec.inspect_credentials(spec.credentials({name: "bg_" + "a" * 32 for name in spec.field_names}))
"""
    assert loaded_after(code, tmp_path) == []


def test_aster_inspection_of_a_key_loads_eth_keys_only_then(tmp_path: Path) -> None:
    # Positive control: the checks above would see eth_utils if anything loaded it. Deriving the API wallet's
    # address needs eth-keys only: eth-account (and py_ecc under it) cost about a second of start-up.
    code = """
spec = get_spec("aster")
spec.inspect_credentials(spec.credentials({"api_wallet": "0x" + "ab" * 20, "private_key": "0x" + "12" * 32,
                                           "main_wallet": "0x" + "cd" * 20}))
"""
    loaded = loaded_after(code, tmp_path)
    assert "eth_utils" in loaded
    assert "eth_account" not in loaded and "py_ecc" not in loaded


def test_an_adapter_loads_only_when_its_exchange_is_used(tmp_path: Path) -> None:
    code = """
from tradedock.domain import Environment
spec = get_spec("bybit")
adapter = EXCHANGES[spec.id].create_adapter(spec.credentials({"api_key": "k" * 18, "secret": "s" * 36}),
                                           flavor=Environment.LIVE)
print(sorted(m for m in sys.modules if m.startswith("tradedock.exchanges.") and m.endswith(".adapter")))
"""
    script = _PRELUDE + code
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={"TRADEDOCK_HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['tradedock.exchanges.bybit.adapter']"


def test_an_aster_verification_path_never_loads_eth_account(tmp_path: Path) -> None:
    """Signing and the local key check use coincurve; eth-account (with py_ecc) is for tests and vectors only."""
    code = """
from tradedock.domain import Environment
from tradedock.exchanges.aster.signing import sign_request
spec = get_spec("aster")
adapter = EXCHANGES[spec.id].create_adapter(spec.credentials({"api_wallet": "0x" + "ab" * 20,
    "private_key": "0x" + "12" * 32, "main_wallet": "0x" + "cd" * 20}), flavor=Environment.LIVE)
sign_request([], user=None, signer="0x" + "ab" * 20, nonce=1, private_key="0x" + "12" * 32, chain_id=1666)
"""
    loaded = loaded_after(code, tmp_path)
    assert "coincurve" in loaded and "httpx" in loaded  # positive control: the adapter did load and signed
    assert "eth_account" not in loaded and "py_ecc" not in loaded
