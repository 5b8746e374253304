"""Simulated exchanges (Bybit V5, Bitget V2/V3, Aster V3) speaking the real wire protocols.

This package imports nothing from `tradedock`; signatures are verified independently from the exchange docs.
"""
