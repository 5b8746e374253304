"""The conformance suite: every registered exchange keeps the registry contract (docs/architecture.md
"Exchange registry"). It runs over `EXCHANGES`, so a new exchange is held to it from its first line.

For every exchange: its spec is complete and consistent; its signing vectors verify against a judge written from
the exchange's docs and against our signer; every error-table row maps to a domain error; every check has a result;
its simulator plugin is present; its keys are recognised when pasted under any other exchange.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tradedock.domain import Environment, ExchangeId, Scope
from tradedock.errors import ExchangeUnreachableError, InternalError, TradeDockError, UserFixableError
from tradedock.exchanges.base import ExchangeSpec, FindingSeverity
from tradedock.exchanges.guide import IpSteps
from tradedock.exchanges.registry import EXCHANGES, get_spec
from tradedock.verification import CHECK_IDS, Outcome
from tradedock_sim.app import SIMULATORS, create_app

from .judges import JUDGES, VECTORS_DIR, load

IDS = list(EXCHANGES)
SimFactory = Callable[[str], Awaitable[Any]]


def test_every_exchange_id_is_registered_and_nothing_else() -> None:
    assert set(EXCHANGES) == set(ExchangeId)
    assert all(entry.spec.id is exchange for exchange, entry in EXCHANGES.items())


@pytest.mark.parametrize("exchange", IDS)
class TestSpec:
    def test_fields(self, exchange: ExchangeId) -> None:
        spec = get_spec(exchange)
        assert len(set(spec.field_names)) == len(spec.field_names) > 0
        for f in spec.credential_fields:
            re.compile(f.pattern)
            assert f.label and f.help and f.shape, f.name
        assert not spec.field(spec.public_id_field).secret
        assert any(f.secret for f in spec.credential_fields)
        for shape in spec.paste_shapes:
            re.compile(shape.pattern)
            assert shape.what

    def test_environments_and_capabilities(self, exchange: ExchangeId) -> None:
        spec = get_spec(exchange)
        assert Environment.SANDBOX not in spec.base_urls and spec.base_urls
        assert set(spec.sandbox_paths) <= set(spec.base_urls) and Environment.LIVE in spec.sandbox_paths
        for env in (*spec.base_urls, Environment.SANDBOX):
            assert env in spec.profile.environment_names, f"name the {env.value} environment in the profile"
        caps = spec.capabilities
        for name in ("key_info", "ip_whitelist", "key_expiry", "account_mode", "position_mode", "margin_mode"):
            if not getattr(caps, name):
                assert caps.notes.get(name), f"{name} is unsupported: say why in Capabilities.notes"
        if caps.futures:
            assert spec.contract_types and spec.profile.default_contract in spec.contract_types

    def test_profile(self, exchange: ExchangeId) -> None:
        profile = get_spec(exchange).profile
        assert profile.exchange is exchange
        assert set(profile.required_permissions) == set(Scope)
        for futures in (True, False):
            wallet = profile.trading_wallet(futures=futures, contract=profile.default_contract, mode=None)
            assert profile.wallet_name(wallet) != wallet or wallet.istitle(), wallet
        for text in (profile.api_page, profile.edit_key, profile.new_key, profile.transfer_page):
            assert text.strip()

    def test_guide(self, exchange: ExchangeId) -> None:
        guide = get_spec(exchange).guide
        assert guide.title and guide.summary and guide.sections
        steps = [step for section in guide.sections for step in section.steps]
        assert any(isinstance(step, IpSteps) for step in steps), "the guide must ask for the platform's IPs"
        assert any(isinstance(step, str) and f"tradedock connect {exchange.value}" in step for step in steps)
        written = " ".join(s for s in steps if isinstance(s, str)) + guide.summary
        assert not re.search(r"\d+\s*(?:–|-|to)\s*\d+\s*USD", written), "minimums come from the profile and policy"


@pytest.mark.parametrize("exchange", IDS)
def test_signing_vectors_verify(exchange: ExchangeId) -> None:
    assert (VECTORS_DIR / f"{exchange.value}.json").exists(), "add tests/vectors/<exchange>.json from the docs"
    judge = JUDGES.get(exchange.value)
    assert judge is not None, "write a judge for this exchange in tests/conformance/judges.py from its docs"
    checks = judge(load(exchange.value))
    assert any(c.is_signature for c in checks), "at least one vector must carry a full signature"
    for c in checks:
        assert c.judged == c.expected, f"{c.name}: the test-side signer disagrees with the vector"
        assert c.produced == c.expected, f"{c.name}: TradeDock's signer disagrees with the vector"


@pytest.mark.parametrize("exchange", IDS)
def test_every_error_table_row_maps_to_a_domain_error(exchange: ExchangeId) -> None:
    table = get_spec(exchange).error_table
    assert table.exact
    rows = [(code, "", rule) for code, rule in table.exact.items()]
    rows += [("no-such-code", needle, rule) for needle, rule in table.broad.items()]
    for code, message, rule in rows:
        assert table.lookup(code, message) is rule, f"row {code or message!r} is shadowed by another row"
        assert issubclass(rule.error, (ExchangeUnreachableError, UserFixableError, InternalError)), code
        assert rule.cause.strip(), code
        if issubclass(rule.error, UserFixableError):
            assert rule.fix.strip(), f"row {code or message!r}: a user-fixable error needs a fix"
        with pytest.raises(TradeDockError) as raised:
            table.raise_for(code, message)
        assert type(raised.value) is rule.error
        assert raised.value.code == code


@pytest.mark.parametrize("exchange", IDS)
def test_simulator_plugin_is_present(exchange: ExchangeId) -> None:
    plugin = SIMULATORS.get(exchange.value)
    assert plugin is not None, "add the exchange's ExchangeSim plugin to tradedock_sim/app.py SIMULATORS"
    assert plugin.name == exchange.value
    create_app(exchange.value)


@pytest.mark.parametrize("exchange", IDS)
async def test_every_check_has_a_result(exchange: ExchangeId, sim_exchange: SimFactory) -> None:
    sim = await sim_exchange(exchange.value)
    healthy = await sim.verify(await sim.scenario("healthy"))
    assert [c.id for c in healthy.checks] == list(CHECK_IDS)
    assert all(c.outcome is not Outcome.ERROR and c.message for c in healthy.checks), healthy.to_dict()
    refused = await sim.verify({name: "?" for name in get_spec(exchange).field_names})
    assert [c.id for c in refused.checks] == list(CHECK_IDS)
    assert refused.check("credentials.format").outcome is Outcome.FAIL
    assert all(c.message for c in refused.checks)


def _as(spec: ExchangeSpec, values: list[str]) -> dict[str, str]:
    """Another exchange's credential values typed into ``spec``'s fields, in order."""
    padded = values + ["x"] * len(spec.field_names)
    return dict(zip(spec.field_names, padded, strict=False))


@pytest.mark.parametrize("exchange", IDS)
async def test_keys_are_recognised_under_every_other_exchange(exchange: ExchangeId, sim_exchange: SimFactory) -> None:
    own = get_spec(exchange)
    sim = await sim_exchange(exchange.value)
    creds = await sim.scenario("healthy")
    assert not [f for f in own.inspect_credentials(own.credentials(creds)) if f.problem == "other_exchange_key"]
    values = [creds[name] for name in own.field_names]
    for other in IDS:
        if other is exchange:
            continue
        spec = get_spec(other)
        findings = spec.inspect_credentials(spec.credentials(_as(spec, values)))
        named = [f for f in findings if f.problem == "other_exchange_key" and own.name in f.fix]
        assert named and named[0].severity is FindingSeverity.FAIL, (other, findings)
