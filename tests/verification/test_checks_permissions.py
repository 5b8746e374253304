"""permissions.required and permissions.forbidden over real KeyInfo values and policies."""

from __future__ import annotations

import pytest

from tradedock.config import PermissionPolicy
from tradedock.domain import ExchangeId, Permission, Scope
from tradedock.errors import ExchangeTimeoutError, PermissionDeniedError, UnknownKeyError
from tradedock.exchanges.base import Capabilities
from tradedock.verification import Outcome, Policy

from .factories import EGRESS, context, err, gathered, key_info, make_spec, ok, run

R, S, F, W, T = (
    Permission.READ,
    Permission.SPOT_TRADE,
    Permission.FUTURES_TRADE,
    Permission.WITHDRAW,
    Permission.TRANSFER,
)


def with_key(**kwargs: object) -> object:
    return gathered(key=ok(key_info(**kwargs)))  # type: ignore[arg-type]


class TestPermissionsRequired:
    def test_futures_key_passes(self) -> None:
        result = run("permissions.required", context(facts=with_key(permissions=(R, F))))  # type: ignore[arg-type]
        assert result.outcome is Outcome.PASS
        assert result.message == (
            "The key has what futures trading needs: Read and Contract Trading (Derivatives): Orders and Positions."
        )

    def test_spot_only_key_for_futures_lists_what_is_missing_and_where(self) -> None:
        ctx = context(exchange=ExchangeId.BITGET, facts=with_key(permissions=(R, S)))  # type: ignore[arg-type]
        result = run("permissions.required", ctx)
        assert result.outcome is Outcome.FAIL
        assert result.message == (
            "This key is missing Futures trading (Orders and Futures-Holdings). "
            "Futures trading needs Read and Futures trading (Orders and Futures-Holdings)."
        )
        assert result.fix[0] == "On Bitget, click your Profile icon → API Management"
        assert result.fix[2] == "Enable Futures trading (Orders and Futures-Holdings)"
        assert result.evidence["missing"] == ["futures_trade"]

    def test_read_only_key_cannot_trade(self) -> None:
        ctx = context(facts=with_key(permissions=(R, S, F), read_only=True))  # type: ignore[arg-type]
        result = run("permissions.required", ctx)
        assert result.outcome is Outcome.FAIL
        assert result.message.startswith("This key is read-only, so it cannot place orders.")

    def test_both_scope_needs_spot_and_futures(self) -> None:
        ctx = context(scope=Scope.BOTH, facts=with_key(permissions=(R, F)))  # type: ignore[arg-type]
        result = run("permissions.required", ctx)
        assert result.outcome is Outcome.FAIL
        assert result.evidence["missing"] == ["spot_trade"]

    def test_read_is_implicit_on_bybit_and_proven_by_a_balance_read(self) -> None:
        assert run("permissions.required", context(facts=with_key(permissions=(F,)))).outcome is Outcome.PASS  # type: ignore[arg-type]
        facts = gathered(key=ok(key_info(permissions=(F,))), balances=err(PermissionDeniedError("no read")))
        bitget = context(exchange=ExchangeId.BITGET, facts=facts)
        assert run("permissions.required", bitget).evidence["missing"] == ["read"]

    def test_capability_missing_is_skip_with_reason(self) -> None:
        spec = make_spec(capabilities=Capabilities(key_info=False, notes={"key_info": "no key-info endpoint"}))
        result = run("permissions.required", context(spec=spec))
        assert result.outcome is Outcome.SKIP
        assert result.message == "Not available: no key-info endpoint."

    def test_rejected_key_skips(self) -> None:
        facts = gathered(**{n: err(UnknownKeyError("x")) for n in ("key", "account", "balances", "position")})
        result = run("permissions.required", context(facts=facts))
        assert result.outcome is Outcome.SKIP
        assert result.message.startswith("Not checked: Bybit refused the credentials")

    def test_unreachable_skips_with_the_standard_message(self) -> None:
        facts = gathered(**{n: err(ExchangeTimeoutError("x")) for n in ("key", "account", "balances", "position")})
        result = run("permissions.required", context(facts=facts))
        assert result.message == "Could not be checked: the exchange did not answer."


class TestPermissionsForbidden:
    def test_clean_key_passes(self) -> None:
        result = run("permissions.forbidden", context())
        assert result.outcome is Outcome.PASS

    def test_withdraw_fails_by_default_with_steps(self) -> None:
        result = run("permissions.forbidden", context(facts=with_key(permissions=(R, F, W))))  # type: ignore[arg-type]
        assert result.outcome is Outcome.FAIL
        assert result.message.startswith("This key can withdraw funds.")
        assert result.fix[2] == "Disable Assets: Withdrawal"

    def test_transfer_fails_by_default(self) -> None:
        result = run("permissions.forbidden", context(facts=with_key(permissions=(R, F, T))))  # type: ignore[arg-type]
        assert result.outcome is Outcome.FAIL
        assert "transfer funds between wallets and accounts" in result.message

    @pytest.mark.parametrize(
        ("withdraw", "expected"), [(PermissionPolicy.WARN, Outcome.WARN), (PermissionPolicy.FAIL, Outcome.FAIL)]
    )
    def test_policy_may_relax_to_warn(self, withdraw: PermissionPolicy, expected: Outcome) -> None:
        policy = Policy(egress_ips=(EGRESS,), withdraw=withdraw, transfer=PermissionPolicy.WARN)
        result = run("permissions.forbidden", context(policy=policy, facts=with_key(permissions=(R, W, T))))  # type: ignore[arg-type]
        assert result.outcome is expected
        assert result.evidence["found"] == ["withdraw", "transfer"]
