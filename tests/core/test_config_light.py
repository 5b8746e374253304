"""`config_light.load_light_settings` (what ``tradedock list``/``show`` read instead of the pydantic settings) reads
the home, database URL and master key settings exactly as `config.load_settings` does — same values, same errors
for the same bad values — and leaves every other setting to `load_settings`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradedock.config import Settings, load_settings
from tradedock.config_light import LIGHT_NAMES, SETTING_NAMES, LightSettings, SettingError, load_light_settings

VALUES = {
    "TRADEDOCK_HOME": ["/srv/td", "", " ", "~/x", "relative/dir"],
    "TRADEDOCK_DATABASE_URL": [
        "",
        "   ",
        "sqlite+aiosqlite:////tmp/x.db",
        "  sqlite+aiosqlite:///rel.db  ",
        "postgresql+psycopg://u:p@db:5432/td",
        "postgresql+psycopg://u:secret@db:99999/td",
        "postgresql+psycopg://u:secret@db:5432/",
        "postgresql+psycopg:///td",
        "postgres://u:secret@db/td",
        "sqlite:///x.db",
        "mysql://u:secret@db/td",
    ],
    "TRADEDOCK_MASTER_KEY": ["", "not base64", "k1:AAAA,k2:BBBB"],
    "TRADEDOCK_MASTER_KEY_FILE": ["", "/etc/td/master.key", "key file"],
}


def _light_view(settings: LightSettings | Settings) -> tuple[object, ...]:
    key = settings.master_key
    return (
        settings.home,
        settings.database_url,
        None if key is None else key.get_secret_value(),
        settings.master_key_file,
        settings.resolved_database_url,
        settings.default_master_key_file,
    )


def _outcome(load: object) -> object:
    try:
        settings = load()  # type: ignore[operator]
    except SettingError as error:
        return ("error", error.field, error.message, error.fix)
    return _light_view(settings)


def test_the_setting_names_are_the_models() -> None:
    assert set(Settings.model_fields) == SETTING_NAMES
    assert LIGHT_NAMES <= SETTING_NAMES


@pytest.mark.parametrize(("variable", "value"), [(k, v) for k, values in VALUES.items() for v in values])
def test_each_variable_reads_as_the_full_settings_read_it(
    variable: str, value: str, tradedock_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    assert _outcome(load_light_settings) == _outcome(load_settings)


def test_names_are_matched_case_insensitively(tradedock_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("tradedock_database_url", "mysql://x")
    light = _outcome(load_light_settings)
    assert light == _outcome(load_settings) and light[0] == "error"  # type: ignore[index]


def test_without_variables_the_defaults_are_the_models(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.upper().startswith("TRADEDOCK_"):
            monkeypatch.delenv(name)
    assert _outcome(load_light_settings) == _outcome(load_settings)


def test_any_other_setting_is_left_to_the_full_settings(tradedock_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_light_settings() is not None
    monkeypatch.setenv("TRADEDOCK_LOG_LEVEL", "info")
    assert load_light_settings() is None
    monkeypatch.setenv("TRADEDOCK_UNRELATED_THING", "x")  # not a setting: ignored by both
    monkeypatch.delenv("TRADEDOCK_LOG_LEVEL")
    assert load_light_settings() is not None


def test_the_master_key_never_shows(tradedock_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEDOCK_MASTER_KEY", "k1:c2VjcmV0")
    settings = load_light_settings()
    assert settings is not None and "c2VjcmV0" not in repr(settings) and "c2VjcmV0" not in str(settings.master_key)
