"""The planted-secret sweep (issue 17): plant known secrets, record every byte TradeDock shows or stores,
and fail on any trace of a secret in any common encoding.

Use it from any test surface — CLI commands (test_secret_sweep_cli.py), API routes, dashboard pages::

    sweep = Sweep()
    sweep.plant(credentials["secret"])                  # every value that must never come back
    sweep.record("GET /api/v1/connections", body, headers)   # everything shown: bodies, headers, HTML, logs
    sweep.record_bytes("database", raw.dump())         # everything stored: SQLite files / pg_dump
    sweep.assert_clean()

A hit names the recorded source, the encoding and the secret's first 4 characters (never the whole secret).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

#: Shorter values are too likely to occur by chance (and no real secret is this short).
MIN_SECRET_CHARS = 12


def encodings(secret: str) -> dict[str, bytes]:
    """The forms a secret could take on its way out: raw, case-folded (an id lower-cased before it is echoed),
    URL-encoded, JSON-escaped, base64 (standard and URL-safe, at every alignment inside a longer blob, padding
    dropped) and hex (both cases)."""
    raw = secret.encode("utf-8", "surrogatepass")
    forms: dict[str, bytes] = {
        "raw": raw,
        "url": quote(secret, safe="").encode(),
        "url+": quote_plus(secret).encode(),
        "json": json.dumps(secret)[1:-1].encode(),
        "json-ascii": json.dumps(secret, ensure_ascii=True)[1:-1].encode(),
        "lower-case": secret.lower().encode("utf-8", "surrogatepass"),
        "upper-case": secret.upper().encode("utf-8", "surrogatepass"),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
    }
    for offset in range(3):
        chunk = raw[offset:]
        chunk = chunk[: len(chunk) - len(chunk) % 3]
        if len(chunk) >= 9:
            forms[f"base64@{offset}"] = base64.b64encode(chunk)
            forms[f"base64url@{offset}"] = base64.urlsafe_b64encode(chunk)
    if secret.startswith("0x"):  # a hex private key without its prefix
        forms["hex-no-0x"] = secret[2:].encode()
        forms["hex-no-0x-upper"] = secret[2:].upper().encode()
    return forms


@dataclass
class Sweep:
    """Planted secrets and everything recorded, scanned together by `assert_clean`."""

    secrets: set[str] = field(default_factory=set)
    sources: list[tuple[str, bytes]] = field(default_factory=list)

    def plant(self, *values: str) -> None:
        for value in values:
            if len(value) < MIN_SECRET_CHARS:
                raise AssertionError(f"planted secret of {len(value)} characters is too short to scan for")
            self.secrets.add(value)

    def plant_fields(self, credentials: Mapping[str, str], names: Iterable[str]) -> None:
        self.plant(*(credentials[name] for name in names if name in credentials))

    def record(self, source: str, *texts: str | bytes | Mapping[str, str] | None) -> None:
        """Record what a surface showed (stdout, stderr, a body, a header mapping, a log line)."""
        for text in texts:
            if text is None:
                continue
            if isinstance(text, Mapping):
                text = "\n".join(f"{k}: {v}" for k, v in text.items())
            self.record_bytes(source, text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)

    def record_bytes(self, source: str, data: bytes) -> None:
        self.sources.append((source, data))

    def hits(self) -> list[str]:
        found: list[str] = []
        patterns = [(secret, name, form) for secret in self.secrets for name, form in encodings(secret).items()]
        for source, data in self.sources:
            for secret, name, form in patterns:
                if form in data:
                    at = data.index(form)
                    context = data[max(0, at - 60) : at].decode("utf-8", "replace").replace(secret[:4], "****")
                    found.append(f"{source}: planted secret {secret[:4]}… found as {name}, after {context!r}")
        return found

    def assert_clean(self) -> None:
        assert self.secrets, "nothing was planted"
        assert self.sources, "nothing was recorded"
        found = self.hits()
        assert not found, f"{len(found)} secret hit(s):\n" + "\n".join(sorted(set(found)))
