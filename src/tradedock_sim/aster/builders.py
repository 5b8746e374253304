"""Aster endpoints ccxt calls around its own setup: leverage brackets (ccxt `fetch_positions`) and builder-fee
approval (ccxt's default options call `GET /fapi/v3/builder` and, unless approved, `POST /fapi/v3/approveBuilder`
inside `load_markets`: aster.md §7).

What belongs here: those handlers, the builder book, and the approveBuilder signature rule. What does not: the
V3 `Message{msg}` auth of ordinary signed calls (`auth.py`), HTTP plumbing (`routes.py`).

approveBuilder is a management call signed by the MAIN wallet (aster.md §1.4): EIP-712 primary type
`ApproveBuilder{Builder, MaxFeeRate, BuilderName, AsterChain, User (strings), Nonce (uint256)}` under the
`AsterSignTransaction`/`1` domain with chainId = the request's `signatureChainId` (ccxt sends 1666; the demo
uses 56) and the zero address; no `signer`. The field list and domain are ccxt 4.5's (UNCONFIRMED officially).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from eth_account import Account as EthAccount
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

from tradedock_sim.aster import errors, payloads
from tradedock_sim.aster.auth import NONCE_WINDOW_US, ZERO_ADDRESS, NonceBook, is_address, same_address
from tradedock_sim.aster.endpoints import Call, Endpoint
from tradedock_sim.core import SimState

BUILDERS = "aster.builders"  # state.extra: (environment, main wallet) -> {builder address: entry}
APPROVE_BUILDER_FIELDS = (
    ("Builder", "string", "builder"),
    ("MaxFeeRate", "string", "maxFeeRate"),
    ("BuilderName", "string", "builderName"),
    ("AsterChain", "string", "asterChain"),
    ("User", "string", "user"),
    ("Nonce", "uint256", "nonce"),
)
#: Notional brackets per symbol (Binance-style; Aster's own tiers are not in the docs: UNCONFIRMED values).
_BRACKETS = (
    ("0", "50000", "0.004", "0"),
    ("50000", "250000", "0.005", "50"),
    ("250000", "1000000", "0.01", "1300"),
)


def builder_book(state: SimState) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    book: dict[tuple[str, str], dict[str, dict[str, str]]] = state.extra.setdefault(BUILDERS, {})
    return book


def leverage_bracket(call: Call) -> Any:
    """GET /fapi/v3/leverageBracket (FUTURES_DOC "Notional and Leverage Brackets (USER_DATA)")."""
    symbol = call.params.get("symbol")
    if symbol and symbol not in payloads.SYMBOLS:
        raise errors.invalid_symbol()
    markets = [payloads.SYMBOLS[symbol]] if symbol else list(payloads.SYMBOLS.values())
    result = []
    for market in markets:
        brackets = []
        leverage = market.max_leverage
        for number, (floor, cap, ratio, cum) in enumerate(_BRACKETS, start=1):
            brackets.append(
                {
                    "bracket": number,
                    "initialLeverage": max(1, leverage // number),
                    "notionalCap": int(cap),
                    "notionalFloor": int(floor),
                    "maintMarginRatio": float(ratio),
                    "cum": float(cum),
                }
            )
        result.append({"symbol": market.symbol, "brackets": brackets})
    return result


def builders(call: Call) -> Any:
    """GET /fapi/v3/builder: the builders the signing account's main wallet approved (ccxt's shape)."""
    account = call.signed_account()
    entries = builder_book(call.state).get((call.environment, account.uid), {})
    return [dict(entry) for entry in entries.values()]


def _approve_builder_message(params: Mapping[str, str], chain_id: int) -> Any:
    types = {"ApproveBuilder": [{"name": name, "type": kind} for name, kind, _ in APPROVE_BUILDER_FIELDS]}
    message: dict[str, Any] = {}
    for name, kind, param in APPROVE_BUILDER_FIELDS:
        value = params.get(param, "")
        message[name] = int(value) if kind == "uint256" else value
    domain = {"name": "AsterSignTransaction", "version": "1", "chainId": chain_id, "verifyingContract": ZERO_ADDRESS}
    return encode_typed_data(domain, types, message)


def _recover(params: Mapping[str, str], signature: str, chain_id: int) -> str | None:
    raw_hex = signature.strip().removeprefix("0x").removeprefix("0X")
    try:
        raw = bytearray(bytes.fromhex(raw_hex))
        if len(raw) != 65:
            return None
        if raw[64] in (0, 1):
            raw[64] += 27
        return str(EthAccount.recover_message(_approve_builder_message(params, chain_id), signature=bytes(raw)))
    except Exception:  # malformed hex, bad curve point: not a valid signature
        return None


def approve_builder(
    state: SimState, environment: str, params: Mapping[str, str], signature: str | None, now_ms: int, nonces: NonceBook
) -> dict[str, Any]:
    """POST /fapi/v3/approveBuilder: record `builder` for the main wallet `user` that signed the request."""
    for name in ("user", "nonce", "builder", "maxFeeRate", "signatureChainId"):
        if not params.get(name):
            raise errors.mandatory_param(name)
    if not signature:
        raise errors.mandatory_param("signature")
    user, builder, nonce_text = params["user"], params["builder"], params["nonce"]
    if not is_address(user):
        raise errors.mandatory_param("user")
    if not is_address(builder):
        raise errors.invalid_parameter("builder")
    if not nonce_text.isdigit() or not params["signatureChainId"].isdigit():
        raise errors.mandatory_param("nonce" if not nonce_text.isdigit() else "signatureChainId")
    try:
        rate = Decimal(params["maxFeeRate"])
    except InvalidOperation:
        raise errors.invalid_parameter("maxFeeRate") from None
    if not rate.is_finite() or rate < 0:
        raise errors.invalid_parameter("maxFeeRate")
    if abs(int(nonce_text) - now_ms * 1000) > NONCE_WINDOW_US:
        raise errors.nonce_expired()
    recovered = _recover(params, signature, int(params["signatureChainId"]))
    account = state.accounts.get(to_checksum_address(user))
    if recovered is None or not same_address(recovered, user) or account is None:
        raise errors.signature_check_failed()  # only the main wallet itself may approve a builder
    nonces.admit(environment, account.uid, int(nonce_text))
    builder_book(state).setdefault((environment, account.uid), {})[builder.lower()] = {
        "userAddress": account.uid,
        "builderAddress": to_checksum_address(builder),
        "maxFeeRate": params["maxFeeRate"],
        "builderName": params.get("builderName", ""),
    }
    return {"code": 200, "msg": "success"}


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/fapi/v3/leverageBracket",
        1,
        leverage_bracket,
        True,
        "canRead",
        f'{errors.FUTURES_DOC} "Notional and Leverage Brackets (USER_DATA)"',
    ),
    # Weight "TBD" in the docs (aster.md §4) -> 5, as elsewhere.
    Endpoint("GET", "/fapi/v3/builder", 5, builders, True, doc="asterCode endpoints: Get Builders (USER_DATA)"),
)
