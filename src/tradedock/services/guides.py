"""Step-by-step key-setup guides, assembled from the exchange registry and the operator's settings.

What belongs here: turning an exchange's guide text (``exchanges/<x>/guide.py``, reached through the registry)
into the guide a user reads — the operator's egress IPs filled in, and the requirements sentence (futures balance
minimum, position mode) derived from the exchange's profile and the operator's policy, exactly as the checks
apply them — plus the list of supported exchanges for help texts. The CLI, the API and the web show the same
guide. What does not: rendering (each shell formats it), any exchange's words, or anything that talks to an
exchange.

Cheap to import: the registry loads specs only (no adapter, no eth-account, no SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tradedock.config import Settings
from tradedock.domain import ExchangeId, PositionMode
from tradedock.exchanges.base import ExchangeSpec
from tradedock.exchanges.guide import IpSteps
from tradedock.exchanges.registry import get_spec, supported_names
from tradedock.verification.request import Policy

_POSITION_MODE_NAMES = {PositionMode.ONE_WAY: "One-Way", PositionMode.HEDGE: "Hedge"}


@dataclass(frozen=True)
class GuideSection:
    title: str
    steps: tuple[str, ...]
    warning: str | None = None


@dataclass(frozen=True)
class Guide:
    exchange: ExchangeId
    title: str
    summary: str  # what the user needs, then the requirements
    requirements: tuple[str, ...]  # from the profile and the operator's policy, one sentence each
    sections: tuple[GuideSection, ...]
    credentials: tuple[str, ...]  # what the user will paste into TradeDock, in order

    def to_dict(self) -> dict[str, object]:
        return {
            "exchange": self.exchange.value,
            "title": self.title,
            "summary": self.summary,
            "requirements": list(self.requirements),
            "credentials": list(self.credentials),
            "sections": [{"title": s.title, "steps": list(s.steps), "warning": s.warning} for s in self.sections],
        }


def exchanges_help() -> str:
    """The supported exchange ids for a help text: ``bybit, bitget or aster``."""
    names = supported_names()
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _ip_steps(egress_ips: Sequence[str], where: str) -> tuple[str, ...]:
    if egress_ips:
        listed = ", ".join(egress_ips)
        return (
            f"In {where}, add exactly these IP addresses (this platform's servers): {listed}.",
            "Add no other addresses: a key bound to the platform's IPs is useless to anyone who steals it.",
        )
    return (
        f"In {where}, add the IP addresses of the platform that will use the key "
        "(the operator has not configured TRADEDOCK_EGRESS_IPS yet, so TradeDock cannot list them here).",
    )


def _usd(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return f"{text} USD"


def _requirements(spec: ExchangeSpec, policy: Policy) -> tuple[str, ...]:
    profile = spec.profile
    out: list[str] = []
    if profile.required_position_mode is not None:
        mode = _POSITION_MODE_NAMES.get(profile.required_position_mode, profile.required_position_mode.value)
        out.append(f"{spec.name} futures trading here requires {mode} position mode.")
    minimum = policy.futures_minimum(profile)
    if minimum is not None:
        wallet = profile.trading_wallet(futures=True, contract=profile.default_contract, mode=None)
        sentence = f"For futures, keep at least {_usd(minimum.fail_below)} in the {profile.wallet_name(wallet)} wallet"
        if minimum.warn_below is not None and minimum.warn_below > minimum.fail_below:
            sentence += f" ({_usd(minimum.warn_below)} or more recommended)"
        out.append(sentence + ".")
    return tuple(out)


def get_guide(exchange: ExchangeId, settings: Settings) -> Guide:
    """The setup guide for one exchange, with this platform's IPs and the operator's requirements filled in."""
    spec = get_spec(exchange)
    policy = Policy.from_settings(settings)
    requirements = _requirements(spec, policy)
    sections = tuple(
        GuideSection(
            section.title,
            tuple(
                line
                for step in section.steps
                for line in (_ip_steps(policy.egress_ips, step.where) if isinstance(step, IpSteps) else (step,))
            ),
            section.warning,
        )
        for section in spec.guide.sections
    )
    return Guide(
        exchange=spec.id,
        title=spec.guide.title,
        summary=" ".join((spec.guide.summary, *requirements)),
        requirements=requirements,
        sections=sections,
        credentials=spec.field_names,
    )
