"""JSON documents for JSON columns (`support.json_document`): the one conversion, and the guard that keeps secrets out;
and their text (`types.json_text`, the engines' serializer).

The document must be exactly what `tradedock.domain.to_jsonable` makes (so the stored JSON is unchanged), whether the
input is already plain JSON (checked in one pass, not copied) or needs converting; and a key named like a secret is
refused wherever it sits, in either case. The batch writers (runs, audit, facts) are checked on both databases. The
text is ``json.dumps``'s, byte for byte."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.db.factories import add_connection, key_b64
from tradedock.db.repositories import (
    AuditRepository,
    ConnectionRepository,
    NewCheckResult,
    UserRepository,
    VerificationRunRepository,
)
from tradedock.db.repositories.connections import FactsUpdate
from tradedock.db.repositories.support import SECRET_KEY_NAMES, json_document
from tradedock.db.repositories.verification_runs import NewRun
from tradedock.db.types import json_text
from tradedock.domain import Permission, to_jsonable
from tradedock.vault import Vault, parse_key_spec


class _Plain(enum.Enum):
    ONE = 1


@dataclass(frozen=True)
class _Point:
    x: Decimal
    when: datetime


_AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

PLAIN: list[Any] = [
    {},
    {"round_trip_ms": 56, "offset_ms": -3, "ratio": 0.25, "ok": True, "none": None, "uid": "324459508"},
    {"native": {"ContractTrade": ["Order", "Position"], "Spot": []}, "policy": {"withdraw": "fail"}},
    {"wallets": {"UNIFIED": {"USDT": "1000"}}, "probes": [{"env": "live", "codes": [10003, None]}]},
    {"offset": float("nan"), "big": 10**30, "text": "≈ $1000 \u0000"},
    ["a", 1, [2, [3, {"k": "v"}]]],
    "text",
    7,
]

CONVERTED: list[Any] = [
    {"days": Decimal("3.50"), "expires_at": _AT},
    {"granted": (Permission.READ, Permission.FUTURES_TRADE), "set": {"b", "a"}},
    {Permission.READ: "enum key", 3: "int key", True: "bool key", None: "none key", 1.5: "float key"},
    {"outer": MappingProxyType({"inner": [Decimal("1E+2")]})},
    {"point": _Point(Decimal("1.0"), _AT), "enum": _Plain.ONE, "status": Permission.WITHDRAW},
    MappingProxyType({"uid": "1", "nested": {"x": [1, 2]}}),
    [Decimal("2"), ("t", "u")],
]


@pytest.mark.parametrize("value", PLAIN + CONVERTED)
def test_the_document_is_what_to_jsonable_makes(value: Any) -> None:
    document = json_document(value, "test")
    assert json.dumps(document) == json.dumps(to_jsonable(value))  # the stored text, byte for byte


@pytest.mark.parametrize("value", PLAIN)
def test_a_plain_document_is_not_copied(value: Any) -> None:
    assert json_document(value, "test") is value


@pytest.mark.parametrize("name", sorted(SECRET_KEY_NAMES))
@pytest.mark.parametrize(
    "shape",
    [
        lambda k: {k: "x"},
        lambda k: {"a": 1, "nested": {"deeper": {k.upper(): "x"}}},
        lambda k: {"rows": [{"ok": 1}, {k.title(): "x"}]},
        lambda k: [[{k: None}]],
        lambda k: MappingProxyType({"outer": {k: "x"}}),
        lambda k: {"converted": Decimal("1"), "inner": ({k: "x"},)},
        lambda k: {"tuple": ({"a": {k: 1}},)},
        lambda k: {"later": Decimal("1"), k: "x"},
        lambda k: {"first": {k: "x"}, "later": _AT},
    ],
)
def test_a_secret_named_key_is_refused_anywhere(name: str, shape: Any) -> None:
    with pytest.raises(ValueError, match="secrets never go into JSON") as raised:
        json_document(shape(name), "evidence of test.check")
    assert "evidence of test.check" in str(raised.value)


def test_a_secret_named_key_that_is_not_a_str_is_refused() -> None:
    class Field(enum.StrEnum):
        SECRET = "secret"

    with pytest.raises(ValueError, match="secrets never go into JSON"):
        json_document({"fields": {Field.SECRET: "x"}}, "test")


def test_names_that_only_contain_a_secret_name_are_stored() -> None:
    value = {"secret_set": True, "has_passphrase": False, "dek_id": "k1", "key": "public"}
    assert json_document(value, "test") is value


TEXTS: list[Any] = [
    *PLAIN,
    'top-level "text" ≈ \u2028',
    1.5,
    -0.0,
    float("inf"),
    [float("-inf"), 1e300, 10**40, True, None],
    {"nested": [{"a": [[], {}]}], "unicode": "ünïcödé ✓", "control": "\x00\n\t"},
    {3: "int key", 1.25: "float key", True: "bool key", None: "none key"},
    ("tuple", ["inside"]),
]


@pytest.mark.parametrize("value", TEXTS)
def test_the_text_is_json_dumps(value: Any) -> None:
    assert json_text(value) == json.dumps(value)


def test_what_json_dumps_refuses_is_refused() -> None:
    for value in ({"when": _AT}, [Decimal("1")], {("tuple", "key"): 1}):
        with pytest.raises(TypeError):
            json.dumps(value)
        with pytest.raises(TypeError):
            json_text(value)


async def test_the_stored_text_is_json_dumps(session: AsyncSession) -> None:
    detail = {"status": "connected", "why": "ünïcödé", "n": [1, 2.5, None]}
    await AuditRepository(session).append_many([("u", None, "schedule", detail)])
    stored = (await session.execute(text("SELECT detail FROM audit_log"))).scalar_one()
    if session.bind.dialect.name == "sqlite":
        assert stored == json.dumps(detail)  # the text itself
    else:
        assert stored == detail  # JSONB keeps the value, not the text


@pytest.fixture
def vault() -> Vault:
    v = Vault(parse_key_spec(f"k1:{key_b64()}"))
    v.new_fingerprint_key()
    return v


class TestBatchWritersRefuseSecrets:
    """The batch record's writers (the monitor's path) apply the guard before anything is written."""

    async def test_runs(self, session: AsyncSession, vault: Vault) -> None:
        connection, _ = await add_connection(session, vault, await _owner(session))
        result = NewCheckResult("auth.signature", "pass", "ok", evidence=MappingProxyType({"api": {"Secret": "x"}}))
        run = NewRun(connection.id, "schedule", "connected", _AT, 5, [result])
        with pytest.raises(ValueError, match=r"evidence of auth\.signature"):
            await VerificationRunRepository(session).add_many([run])

    async def test_audit(self, session: AsyncSession) -> None:
        with pytest.raises(ValueError, match="secrets never go into JSON"):
            await AuditRepository(session).append_many([("u", None, "schedule", {"rows": [{"password": "p"}]})])

    async def test_facts(self, session: AsyncSession, vault: Vault) -> None:
        owner = await _owner(session)
        connection, _ = await add_connection(session, vault, owner)
        update = FactsUpdate(connection.id, owner, connection.version, {"balances_json": {"x": {"dek": "d"}}})
        with pytest.raises(ValueError, match=r"connections\.balances_json"):
            await ConnectionRepository(session).apply_many([update])


async def _owner(session: AsyncSession) -> str:
    return (await UserRepository(session).get_or_create("alice")).id
