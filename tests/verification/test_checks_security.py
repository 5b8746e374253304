"""ip.whitelist and key.expiry over real KeyInfo values."""

from __future__ import annotations

from datetime import timedelta

from tradedock.domain import ExchangeId
from tradedock.errors import IpNotAllowedError, KeyExpiredError
from tradedock.exchanges.base import Capabilities
from tradedock.verification import Outcome, Policy

from .factories import EGRESS, NOW, context, err, gathered, key_info, make_spec, ok, run

SIGNED = ("key", "account", "balances", "position")


class TestIpWhitelist:
    def test_key_bound_to_our_ip_passes(self) -> None:
        assert run("ip.whitelist", context()).outcome is Outcome.PASS

    def test_cidr_range_covers_our_ip_and_extra_ips_are_named(self) -> None:
        facts = gathered(key=ok(key_info(ips=("203.0.113.0/24", "198.51.100.9"))))
        result = run("ip.whitelist", context(facts=facts))
        assert result.outcome is Outcome.PASS
        assert "It also allows 198.51.100.9 (not TradeDock's)." in result.message

    def test_missing_egress_ip_fails_naming_it(self) -> None:
        facts = gathered(key=ok(key_info(ips=("198.51.100.9",))))
        ctx = context(facts=facts, policy=Policy(egress_ips=(EGRESS, "198.51.100.9")))
        result = run("ip.whitelist", ctx)
        assert result.outcome is Outcome.FAIL
        assert result.message.startswith(f"The key's IP whitelist lacks {EGRESS}:")
        assert result.evidence["missing"] == [EGRESS]

    def test_no_whitelist_warns_with_bybit_90_days(self) -> None:
        result = run("ip.whitelist", context(facts=gathered(key=ok(key_info(ips=("*",))))))
        assert result.outcome is Outcome.WARN
        assert "Bybit deletes keys without a bound IP after 90 days." in result.message
        assert f"Add {EGRESS} to the key's IP restriction" in result.fix[2]

    def test_no_egress_configured_explains_the_operator_setting(self) -> None:
        result = run("ip.whitelist", context(policy=Policy()))
        assert result.outcome is Outcome.SKIP
        assert "TRADEDOCK_EGRESS_IPS" in result.message
        unbound = run("ip.whitelist", context(policy=Policy(), facts=gathered(key=ok(key_info(ips=())))))
        assert unbound.outcome is Outcome.WARN
        assert "TRADEDOCK_EGRESS_IPS" in unbound.fix[2]

    def test_exchange_refusing_our_ip_fails_with_the_ip(self) -> None:
        refusal = IpNotAllowedError(
            "IP refused",
            code="10010",
            native_message="Unmatched IP, please check your API key's bound IP addresses. 192.0.2.44",
        )
        facts = gathered(**{n: err(refusal) for n in SIGNED})
        result = run("ip.whitelist", context(facts=facts))
        assert result.outcome is Outcome.FAIL
        assert result.message == "Bybit refused our IP 192.0.2.44: it is not on this key's IP whitelist."

    def test_capability_missing_skips(self) -> None:
        spec = make_spec(capabilities=Capabilities(ip_whitelist=False, notes={"ip_whitelist": "Aster hides it"}))
        assert run("ip.whitelist", context(spec=spec)).message == "Not available: Aster hides it."


class TestKeyExpiry:
    def test_no_expiry_passes(self) -> None:
        result = run("key.expiry", context())
        assert (result.outcome, result.message) == (Outcome.PASS, "The key does not expire.")

    def test_expiring_in_five_days_warns_with_date_and_countdown(self) -> None:
        facts = gathered(key=ok(key_info(ips=(), expires_at=NOW + timedelta(days=5, hours=3))))
        result = run("key.expiry", context(facts=facts))
        assert result.outcome is Outcome.WARN
        assert result.message == "The key expires in 5 days (2026-11-26)."
        assert any("keys with a bound IP do not expire" in step for step in result.fix)

    def test_far_expiry_passes(self) -> None:
        facts = gathered(key=ok(key_info(expires_at=NOW + timedelta(days=200))))
        result = run("key.expiry", context(facts=facts))
        assert (result.outcome, result.message) == (Outcome.PASS, "The key expires in 200 days (2027-06-09).")

    def test_warning_window_from_policy(self) -> None:
        facts = gathered(key=ok(key_info(expires_at=NOW + timedelta(days=20))))
        assert run("key.expiry", context(facts=facts)).outcome is Outcome.PASS
        ctx = context(facts=facts, policy=Policy(egress_ips=(EGRESS,), expiry_warn_days=30))
        assert run("key.expiry", ctx).outcome is Outcome.WARN

    def test_hours_left(self) -> None:
        facts = gathered(key=ok(key_info(expires_at=NOW + timedelta(hours=5))))
        assert run("key.expiry", context(facts=facts)).message == "The key expires in 5 hours (2026-11-21)."

    def test_expired_key_error_fails(self) -> None:
        facts = gathered(**{n: err(KeyExpiredError("33004")) for n in SIGNED})
        result = run("key.expiry", context(facts=facts))
        assert result.outcome is Outcome.FAIL
        assert result.message == "The key has expired (or was deleted): Bybit no longer accepts it."

    def test_capability_missing_skips_with_reason(self) -> None:
        caps = Capabilities(key_expiry=False, notes={"key_expiry": "Bitget does not report key expiry"})
        ctx = context(exchange=ExchangeId.BITGET, spec=make_spec(ExchangeId.BITGET, capabilities=caps))
        result = run("key.expiry", ctx)
        assert (result.outcome, result.message) == (Outcome.SKIP, "Not available: Bitget does not report key expiry.")
