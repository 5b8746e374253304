"""Reading py-spy's collapsed stacks (``--format raw``): where the samples' own time went, by function and by
package, so a benchmark can say what dominates without a flame graph viewer."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _package(path: str) -> str:
    """``httpcore/_async/http11.py`` → ``httpcore``; ``socket.py`` → ``socket``; frozen import machinery →
    ``imports``."""
    if path.startswith("<frozen"):
        return "imports"
    path = path.split("site-packages/")[-1]
    return path.split("/", 1)[0].removesuffix(".py")


def summarize(stacks: Path, top: int = 12) -> tuple[int, list[tuple[str, float]], list[tuple[str, float]]]:
    """(samples, [(function, share)], [(package, share)]) of own time, idle waits (epoll) left out; an empty
    summary when the profiler wrote nothing (e.g. py-spy not allowed to attach)."""
    if not stacks.exists():
        return 0, [], []
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in stacks.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if not frames or not count.isdigit():
            continue
        leaf = frames.split(";")[-1]
        if leaf.startswith("select (selectors.py"):
            continue
        match = _FRAME.match(leaf)
        name = f"{match['func']} ({match['file'].split('site-packages/')[-1]})" if match else leaf
        n = int(count)
        total += n
        own[name] += n
        packages[_package(match["file"]) if match else "?"] += n
    if not total:
        return 0, [], []
    return (
        total,
        [(name, n / total) for name, n in own.most_common(top)],
        [(name, n / total) for name, n in packages.most_common(top)],
    )


def describe(summary: tuple[int, list[tuple[str, float]], list[tuple[str, float]]], top: int = 6) -> str:
    """One Markdown line: the packages and functions with the most own time."""
    samples, functions, packages = summary
    if not samples:
        return "(no profile: py-spy could not sample)"
    by_package = ", ".join(f"{name} {share:.0%}" for name, share in packages[:top])
    by_function = "; ".join(f"`{name}` {share:.0%}" for name, share in functions[:top])
    return f"{samples:,} samples — by package: {by_package}. Top functions: {by_function}."
