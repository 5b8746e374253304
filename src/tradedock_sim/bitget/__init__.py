"""Simulated Bitget: V2 (classic) and V3 (unified) REST, with Bitget's signing, envelope, codes and limits.

Modules: `auth` (signature/timestamp/passphrase/environment/IP rules), `errors` (envelope and codes),
`endpoint` (per-request gates), `routes` (endpoint table), `payloads` (answer layouts), `instruments` (market
catalogue), `permissions` (Bitget's permission vocabulary), `scenarios` (presets), `plugin` (`BitgetSim`).
Imports nothing from `tradedock`.
"""
