"""Simulated Aster (asterdex) V3 API: EIP-712 API-wallet auth, futures `/fapi/v3` and spot `/api/v3` reads.

Belongs here: everything Aster-specific in the simulator (auth verifier, endpoints, payload shapes, presets).
Does not belong here: shared machinery (`tradedock_sim.core`) or anything from `tradedock` (never imported).
Register with `"aster": AsterSim()` in `tradedock_sim/app.py`; see `plugin.py`.
"""
