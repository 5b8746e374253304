"""The exchange catalog: everything a connect form or wizard needs, per exchange, as typed views.

What belongs here: assembling, from the exchange specs, the verification profiles, the guides and the settings,
each exchange's credential fields (meaning, format, which are secret), scopes, contract types, environments,
requirements (permissions per scope, forbidden permissions, position mode, minimum futures balance), guide
steps and the platform IPs to whitelist. What does not: rendering (shells) or any exchange call.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tradedock.config import PermissionPolicy
from tradedock.domain import Environment, ExchangeId, Permission, Scope
from tradedock.exchanges.registry import EXCHANGES
from tradedock.services.context import AppContext
from tradedock.services.guides import get_guide
from tradedock.verification import Policy


class FieldView(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    help: str
    secret: bool
    shape: str
    pattern: str


class EnvironmentView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    available: bool


class RequirementsView(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: Normalized permissions a key needs, per scope (spot, futures, both).
    permissions: dict[str, list[str]]
    #: The exchange's own names for those permissions, as on its API-key page.
    permission_names: dict[str, str]
    #: Permissions a key must not have, and whether having one fails or warns (operator policy).
    forbidden_permissions: dict[str, str]
    position_mode: str | None
    minimum_futures_balance_usd: str | None
    whitelist_ips: list[str]


class GuideSectionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    steps: list[str]
    warning: str | None


class GuideView(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    summary: str
    sections: list[GuideSectionView]
    url: str


class ExchangeView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    credential_fields: list[FieldView]
    scopes: list[str]
    default_scope: str
    contract_types: list[str]
    default_contract: str | None
    environments: list[EnvironmentView]
    requirements: RequirementsView
    guide: GuideView
    #: What this exchange cannot report (those checks are skipped), with the reason.
    limitations: dict[str, str]


def exchange_view(ctx: AppContext, exchange: ExchangeId) -> ExchangeView:
    settings = ctx.settings
    spec = ctx.access.spec(exchange)
    profile = spec.profile
    guide = get_guide(exchange, settings)
    sandbox = exchange.value in settings.effective_sandbox_urls()
    environments = [
        EnvironmentView(id=env.value, name=profile.environment_name(env), available=env in spec.base_urls)
        for env in (Environment.LIVE, Environment.DEMO, Environment.TESTNET)
    ]
    environments.append(
        EnvironmentView(id=Environment.SANDBOX.value, name=f"{spec.name} (simulated)", available=sandbox)
    )
    scopes = [
        s for s in Scope if (s.needs_spot and spec.capabilities.spot) or (s.needs_futures and spec.capabilities.futures)
    ]
    futures_minimum = Policy.from_settings(settings).futures_minimum(profile)  # as the balance check applies it
    minimum = None if futures_minimum is None else futures_minimum.fail_below
    policies = {Permission.WITHDRAW: settings.withdraw_policy, Permission.TRANSFER: settings.transfer_policy}
    return ExchangeView(
        id=exchange.value,
        name=spec.name,
        credential_fields=[
            FieldView(name=f.name, label=f.label, help=f.help, secret=f.secret, shape=f.shape, pattern=f.pattern)
            for f in spec.credential_fields
        ],
        scopes=[s.value for s in scopes],
        default_scope=Scope.FUTURES.value if spec.capabilities.futures else Scope.SPOT.value,
        contract_types=[c.value for c in spec.contract_types],
        default_contract=spec.contract_types[0].value if spec.contract_types else None,
        environments=environments,
        requirements=RequirementsView(
            permissions={
                scope.value: sorted(p.value for p in profile.required_permissions.get(scope, ())) for scope in scopes
            },
            permission_names={p.value: profile.permission_name(p) for p in Permission},
            forbidden_permissions={
                p.value: ("fail" if policy is PermissionPolicy.FAIL else "warn") for p, policy in policies.items()
            },
            position_mode=None if profile.required_position_mode is None else profile.required_position_mode.value,
            minimum_futures_balance_usd=None if minimum is None else format(minimum, "f"),
            whitelist_ips=list(settings.egress_ips),
        ),
        guide=GuideView(
            title=guide.title,
            summary=guide.summary,
            sections=[GuideSectionView(title=s.title, steps=list(s.steps), warning=s.warning) for s in guide.sections],
            url=spec.guide_url,
        ),
        limitations=dict(spec.capabilities.notes),
    )


def catalog(ctx: AppContext) -> list[ExchangeView]:
    return [exchange_view(ctx, exchange) for exchange in EXCHANGES]
