"""Helpers shared by the repositories: JSON documents for JSON columns, guarded so that secrets stay out of them.

What belongs here: small pure functions the repositories apply before writing JSON columns, the one statement
shape every lease claim uses (``lease_selected``) and the one way many rows go into a table (``insert_rows``). What
does not: other queries (each repository module) or models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from sqlalchemy import Dialect, Select, Table, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from tradedock.db.types import JsonDocument, json_text
from tradedock.domain import to_jsonable

#: JSON keys that must never be written to the database in clear (audit details, evidence, balances).
SECRET_KEY_NAMES = frozenset(
    {"secret", "api_secret", "secret_key", "passphrase", "private_key", "password", "master_key", "dek"}
)


#: Leaves of a document that is already plain JSON, by exact type (a subclass, e.g. a str enum, is converted).
_PLAIN_LEAVES = frozenset({str, int, float, bool, type(None)})


def json_document(value: Any, where: str) -> Any:
    """What a JSON column stores for ``value`` — the one conversion, `tradedock.domain.to_jsonable` — after refusing
    any key named like a secret (`refuse_secret_keys`; ``where`` names the document in the error).

    One pass for the usual document, already plain JSON (dicts with str keys, lists, str, int, float, bool, None;
    a mapping at the top, e.g. a report's read-only evidence, is taken as a dict): its keys are checked on the way and
    it is returned as it is (`to_jsonable` would copy it unchanged). Anything else is converted, then checked."""
    kind = type(value)
    if kind is MappingProxyType or (kind is not dict and isinstance(value, Mapping)):  # (no ABC check for a proxy)
        value = dict(value)
    if _plain_and_checked(value, where):
        return value
    document = to_jsonable(value)
    refuse_secret_keys(document, where)
    return document


def _plain_and_checked(value: Any, where: str) -> bool:
    """Whether ``value`` is plain JSON (see `json_document`), raising on the first secret-named key met.

    Loops, not all(<generator>), and a dict's lists walked in place: a third of the cost for the many small dicts and
    lists of a batch's evidence."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if key.lower() in SECRET_KEY_NAMES:
                raise _secret_key(key, where)
            item_kind = type(item)
            if item_kind in _PLAIN_LEAVES:
                continue
            if item_kind is list:
                for element in item:
                    if type(element) not in _PLAIN_LEAVES and not _plain_and_checked(element, where):
                        return False
            elif not _plain_and_checked(item, where):
                return False
        return True
    if kind is list:
        for item in value:  # noqa: SIM110
            if type(item) not in _PLAIN_LEAVES and not _plain_and_checked(item, where):
                return False
        return True
    return kind in _PLAIN_LEAVES


def _secret_key(key: Any, where: str) -> ValueError:
    return ValueError(f"{where}: refusing to store a value under {key!r}; secrets never go into JSON")


def refuse_secret_keys(value: Any, where: str) -> None:
    """Raise if a JSON document has a key named like a secret: such a value never belongs in the database."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return  # a leaf (most of a document): no ABC checks for it
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in SECRET_KEY_NAMES:
                raise _secret_key(key, where)
            refuse_secret_keys(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            refuse_secret_keys(item, where)


def violates(exc: IntegrityError, column_or_constraint: str) -> bool:
    """Whether an IntegrityError names this column or constraint (SQLite and PostgreSQL messages both do)."""
    return column_or_constraint in str(exc.orig)


async def lease_selected(
    session: AsyncSession, key: InstrumentedAttribute[str], due: Select[Any], worker_id: str, until: Any
) -> list[str]:
    """Lease the rows ``due`` selects (their ``key`` column): one ``UPDATE … WHERE key IN (SELECT … FOR UPDATE SKIP
    LOCKED) RETURNING key`` setting ``lease_owner`` and ``lease_expires_at``. Rows another worker is claiming are
    skipped on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` serialises claimers (no lock clause there)."""
    result = await session.execute(
        update(key.class_)
        .where(key.in_(due.with_for_update(skip_locked=True).scalar_subquery()))
        .values(lease_owner=worker_id, lease_expires_at=until)
        .returning(key)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in result.all()]


def rowcount(result: Any) -> int:
    """How many rows an UPDATE or DELETE touched (0 when the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same column names) into ``table`` in the session's transaction, the same rows
    and values as SQLAlchemy's executemany INSERT (each value through its column type's bind processing; column
    defaults apply to columns not given) at a fraction of its cost (a batch record writes ~15 rows per check): on
    SQLite one executemany of the processed values (SQLAlchemy's own costs ~15 % more for check results), on
    PostgreSQL one ``COPY … FROM STDIN`` stream (psycopg's executemany costs ~10 µs of CPU per row)."""
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    if dialect.name != "postgresql":
        statement = insert(table).compile(dialect=dialect, column_keys=names)  # qmark: values in positiontup order
        columns = _processed(table, dialect, statement.positiontup or names)
        values = [
            tuple([row[name] if process is None else process(row[name]) for name, process in columns]) for row in rows
        ]
        await connection.exec_driver_sql(statement.string, values)
        return
    # A JSON column's value goes as its text (`types.json_text`, what psycopg's Jsonb would send): COPY's text format
    # parses it as the column's type, and the Jsonb wrapper and its dumper per value cost more than the encoding.
    columns = [
        (name, json_text if isinstance(table.c[name].type, JsonDocument) else process)
        for name, process in _processed(table, dialect, names)
    ]
    quote = dialect.identifier_preparer.quote
    sql = f"COPY {dialect.identifier_preparer.format_table(table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    driver: Any = (await connection.get_raw_connection()).driver_connection  # psycopg's AsyncConnection
    async with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            await copy.write_row([row[name] if process is None else process(row[name]) for name, process in columns])


def _processed(table: Table, dialect: Dialect, names: Sequence[str]) -> list[tuple[str, Any]]:
    """Each column name with its type's bind processor for ``dialect`` (None: the value goes as it is)."""
    return [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names]
