"""The shape of an exchange's key-setup guide (`GuideText`), which each exchange fills in as data.

What belongs here: the types of a guide written in TradeDock's own words — sections of steps, with placeholders
for what the operator decides (`IpSteps`: the platform's egress IPs to whitelist). What does not: any exchange's
text (``exchanges/<x>/guide.py``), or filling the placeholders and adding the requirements sentence from the
profile and the operator's policy (``services/guides.py`` does that, so the CLI, the API and the web show the
same guide).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IpSteps:
    """Placeholder step: "add exactly these IPs (the platform's servers) in ``where``", filled from settings."""

    where: str  # the exchange's own name of its IP field, e.g. "IP whitelist"


@dataclass(frozen=True)
class GuideSection:
    title: str
    steps: tuple[str | IpSteps, ...]
    warning: str | None = None


@dataclass(frozen=True)
class GuideText:
    """One exchange's guide. ``summary`` says what the user will need; the requirements that depend on the
    profile and the operator's policy (balance minimum, position mode) are appended by the guide service."""

    title: str
    summary: str
    sections: tuple[GuideSection, ...]
