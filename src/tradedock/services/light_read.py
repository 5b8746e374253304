"""The light read path of ``tradedock list`` and ``tradedock show``: the same views, without SQLAlchemy or pydantic.

Why: those commands used to import the ORM, the service layer and the exchange adapters' machinery to run two
SELECTs — ~1.5 s of CPU per command (issue 9). Here the start-up and the reads use the standard library's sqlite3
or psycopg directly (`db.direct`) and return the JSON of the views `ConnectionService.list`/`show` return
(``to_json()``), built without pydantic (`services.light_views`), and the events as `db.direct` records (the
attributes of `EventView`), with the same id rules (`db.ids`). Settings: `config_light.HomeSettings` (the
pydantic-free `LightSettings`, or `config.Settings`).

What it keeps of the full start-up (`services.context.open_app`), every time:
- the data directory's safety checks (`config.ensure_home`);
- the schema must be at head: ``alembic_version`` against the packaged heads, as `db.migrate` checks it;
- the master key(s) load and the vault canary's verdict, by the same rules (`services.vault_canary`): every key
  in use configured and proven by a vault-internal row it opens, the primary key right, the fingerprint key
  opening — a wrong master key fails exactly as before.

What it leaves to the full start-up: everything that WRITES. `open_light` returns ``None`` — and the caller runs
`open_app` — when the database file or the generated master key file does not exist yet (first run), the schema
is not at head (migrations run under their lock there), a sentinel or the fingerprint key is missing (sealed
there), or a key in use has no sentinel (an older database: proven there on a sample row, then sealed). So the
light path only ever reads a database the full start-up has brought to the state it re-checks here.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from tradedock.config_light import HomeSettings, ensure_home
from tradedock.db.direct import DirectReader, EventRecord
from tradedock.db.ids import may_be_prefix, not_found, the_one_match, wanted_id
from tradedock.db.revisions import packaged_heads
from tradedock.domain import LOCAL_OWNER, ExchangeId
from tradedock.services.light_views import connection_json, detail_json
from tradedock.services.vault_canary import load_fingerprint_key, prove_keys, vault_error
from tradedock.vault import FINGERPRINT_KEY_NAME, open_vault


class LightReader:
    """Reads for one owner in one read-only transaction. Use as a context manager (it closes the connection)."""

    def __init__(self, reader: DirectReader, owner: str = LOCAL_OWNER) -> None:
        self._reader = reader
        self._owner_id = reader.owner_id(owner.strip())

    def __enter__(self) -> LightReader:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._reader.close()

    def connections(self) -> list[dict[str, Any]]:
        """As `ConnectionService.list` (each view's ``to_json()``)."""
        if self._owner_id is None:
            return []
        return [connection_json(row) for row in self._reader.connections(self._owner_id)]

    def show(self, id_or_prefix: str) -> dict[str, Any]:
        """As `ConnectionService.show` (its ``to_json()``): an exact id, else a unique prefix (`db.ids`)."""
        if self._owner_id is None:
            raise not_found(id_or_prefix)
        wanted = wanted_id(id_or_prefix)
        row = self._reader.connection(self._owner_id, wanted)
        if row is None:
            if not may_be_prefix(wanted):
                raise not_found(wanted)
            rows = self._reader.connections(self._owner_id)
            row = the_one_match(id_or_prefix, wanted, [r for r in rows if r.id.startswith(wanted)])
        return detail_json(row, self._reader.latest_run(self._owner_id, row.id))

    def recent_events(self, limit: int = 5) -> list[EventRecord]:
        """As `ConnectionService.recent_events` (records with `EventView`'s fields)."""
        if self._owner_id is None:
            return []
        return self._reader.events(self._owner_id, limit)


def open_light(settings: HomeSettings, owner: str = LOCAL_OWNER) -> LightReader | None:
    """A `LightReader` after the read-only start-up checks, or ``None`` when start-up has to write first (then
    use `services.context.open_app`). Raises what `open_app` raises for the same problems: `MasterKeyError`
    (wrong or missing master key), `UnsafeFileError`, driver errors for `services.diagnose`."""
    ensure_home(settings)
    generated_key = settings.master_key is None and settings.master_key_file is None
    if generated_key and not settings.default_master_key_file.exists():
        return None  # first run: the full start-up generates the key and says so
    reader = DirectReader.open(settings.resolved_database_url)
    if reader is None:
        return None
    try:
        if reader.stored_revisions() != packaged_heads():
            reader.close()
            return None
        if not _canary_passes(reader, settings):
            reader.close()
            return None
        return LightReader(reader, owner)
    except BaseException:
        reader.close()
        raise


def _canary_passes(reader: DirectReader, settings: HomeSettings) -> bool:
    """The start-up canary, read-only: ``True`` when it passes, ``False`` when only the full start-up can decide
    (it would write or sample a row); raises `MasterKeyError` on any problem, like `open_app`."""
    vault = open_vault(settings)
    meta = reader.vault_meta()
    proof = prove_keys(vault, reader.secret_counts_by_kek_id(), meta)
    fingerprint_key = next((row for row in meta if row.name == FINGERPRINT_KEY_NAME), None)
    primary_known = vault.primary_key_id in proof.proven or vault.primary_key_id in proof.wrong
    if proof.unproven or fingerprint_key is None or not primary_known:
        return False
    problems = proof.problems()
    if problem := load_fingerprint_key(vault, fingerprint_key):
        problems.append(problem)
    if problems:
        raise vault_error(problems)
    return True


#: The exchanges that report when a key expires (their specs' ``capabilities.key_expiry``; a test keeps the two
#: in step), here so that ``list`` and ``show`` need not load the exchange registry (~20 ms of their start).
KEY_EXPIRY_REPORTED = frozenset({ExchangeId.BYBIT, ExchangeId.ASTER})


def key_expiry_reported(exchange: str) -> bool:
    """Whether the exchange reports when a key expires (so "no expiry date" means "never expires")."""
    try:
        return ExchangeId(exchange) in KEY_EXPIRY_REPORTED
    except ValueError:
        return True
