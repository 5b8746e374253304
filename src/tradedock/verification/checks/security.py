"""Key-security checks: ``ip.whitelist`` (the key's bound IPs against TradeDock's egress IPs) and
``key.expiry`` (date and countdown).

What belongs here: IP comparison (exact addresses and CIDR ranges) and expiry arithmetic, with the exact fix.
What does not: permissions (see `permissions`).
"""

from __future__ import annotations

import functools
import ipaddress
import re

from tradedock.errors import IpNotAllowedError, KeyExpiredError, TradeDockError
from tradedock.verification.checks.base import CheckContext, Verdict, check, evidence_of, names
from tradedock.verification.checks.permissions import key_info_or_verdict
from tradedock.verification.report import Outcome

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_OPERATOR_HINT = (
    "TradeDock's public IP addresses are not configured (operator setting TRADEDOCK_EGRESS_IPS), "
    "so we cannot say which addresses to add"
)


@functools.lru_cache(maxsize=4096)
def _covers(entry: str, ip: str) -> bool:
    """Whether a whitelist entry (address or CIDR range) allows ``ip``. Pure, so cached: a fleet's checks compare
    the same few addresses over and over, and parsing them is most of this check's CPU."""
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return entry.strip() == ip


def _refused_ip(error: Exception) -> str | None:
    if isinstance(error, TradeDockError):
        for text in (error.native_message or "", error.message):
            match = _IPV4.search(text)
            if match:
                return match.group(0)
    return None


@check("ip.whitelist", title="IP whitelist")
def ip_whitelist(ctx: CheckContext) -> Verdict:
    p = ctx.profile
    egress = ctx.policy.egress_ips
    add_ours = f"Add {names(egress)} to the key's {p.ip_field}" if egress else _OPERATOR_HINT
    assert ctx.gathered is not None
    refusal = next(
        (read.error for _, read in ctx.gathered.signed_reads() if isinstance(read.error, IpNotAllowedError)), None
    )
    if refusal is not None:
        ip = _refused_ip(refusal)
        whom = f"our IP {ip}" if ip else "requests from this server's IP address"
        return Verdict(
            Outcome.FAIL,
            f"{ctx.name} refused {whom}: it is not on this key's IP whitelist.",
            (p.api_page, p.edit_key, add_ours, "Save, then verify the connection again"),
            {**evidence_of(refusal), "refused_ip": ip, "egress_ips": list(egress)},
        )
    key = key_info_or_verdict(ctx, "the key's IP whitelist", "ip_whitelist")
    if isinstance(key, Verdict):
        return key
    if not key.ips_known:
        what = key.unreadable.what if key.unreadable else f"{ctx.name} did not show this key its own settings"
        fix = key.unreadable.fix if key.unreadable else "confirm it in API Management"
        return Verdict(
            Outcome.SKIP,
            f"Not checked: {what}, which holds its IP whitelist. Our requests were accepted, so this server's "
            f"address is allowed — {fix}.",
            (),
            {"egress_ips": list(egress), "ips_known": False},
        )
    bound = [ip for ip in key.ips if ip not in ("", "*")]
    evidence = {"key_ips": bound, "egress_ips": list(egress)}
    if not bound:
        note = f" {p.unbound_ip_note}" if p.unbound_ip_note else ""
        return Verdict(
            Outcome.WARN,
            f"The key is not restricted to IP addresses: whoever gets it can use it from anywhere.{note}",
            (p.api_page, p.edit_key, add_ours, "Save, then verify the connection again"),
            evidence,
        )
    if not egress:
        return Verdict(
            Outcome.SKIP,
            f"The key accepts requests only from {names(bound)}. {_OPERATOR_HINT}; our requests were accepted, "
            "so this server's current address is allowed.",
            (),
            evidence,
        )
    missing = [ip for ip in egress if not any(_covers(entry, ip) for entry in bound)]
    extra = [entry for entry in bound if not any(_covers(entry, ip) for ip in egress)]
    evidence = {**evidence, "missing": missing, "extra": extra}
    if missing:
        return Verdict(
            Outcome.FAIL,
            f"The key's IP whitelist lacks {names(missing)}: {ctx.name} would refuse TradeDock's requests from there.",
            (p.api_page, p.edit_key, f"Add {names(missing)} to the key's {p.ip_field}", "Save, then verify again"),
            evidence,
        )
    also = f" It also allows {names(extra)} (not TradeDock's)." if extra else ""
    return Verdict(
        Outcome.PASS, f"The key accepts requests only from listed IPs, including TradeDock's.{also}", (), evidence
    )


@check("key.expiry", title="Key expiry")
def key_expiry(ctx: CheckContext) -> Verdict:
    p = ctx.profile
    assert ctx.gathered is not None
    expired = next(
        (read.error for _, read in ctx.gathered.signed_reads() if isinstance(read.error, KeyExpiredError)), None
    )
    renew = (f"Create a new key: {p.api_page} → {p.new_key}", "Replace the key in TradeDock before it expires")
    if expired is not None:
        return Verdict(
            Outcome.FAIL,
            f"The key has expired (or was deleted): {ctx.name} no longer accepts it.",
            renew,
            evidence_of(expired),
        )
    key = key_info_or_verdict(ctx, "the key's expiry date", "key_expiry")
    if isinstance(key, Verdict):
        return key
    if key.expires_at is None:
        return Verdict(Outcome.PASS, "The key does not expire.", (), {"expires_at": None})
    left = key.expires_at - ctx.now
    day = key.expires_at.date().isoformat()
    evidence = {"expires_at": key.expires_at.isoformat(), "days_left": round(left.total_seconds() / 86_400, 2)}
    if left.total_seconds() <= 0:
        return Verdict(Outcome.FAIL, f"The key expired on {day}.", renew, evidence)
    days = round(left.total_seconds() / 86_400)  # "5 days" for a key created to last 5 days, not "4 days"
    if days >= 1:
        countdown = f"{days} day{'s' if days != 1 else ''}"
    else:
        hours = max(1, int(left.total_seconds() // 3600))
        countdown = f"{hours} hour{'s' if hours != 1 else ''}"
    message = f"The key expires in {countdown} ({day})."
    if left.total_seconds() < ctx.policy.expiry_warn_days * 86_400:
        fix = list(renew)
        if p.unbound_ip_note and not key.ip_bound:
            fix.append("Bind TradeDock's IP addresses to the new key: keys with a bound IP do not expire")
        return Verdict(Outcome.WARN, message, tuple(fix), evidence)
    return Verdict(Outcome.PASS, message, (), evidence)
