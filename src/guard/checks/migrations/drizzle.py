"""Drizzle: <out>/NNNN_name.sql listed in <out>/meta/_journal.json, forward-only.

Statements are separated by `--> statement-breakpoint`; rollback is a `<tag>.down.sql` next
to the migration or `-- rollback: ...` notes in it.
"""

from __future__ import annotations

import json
import posixpath
import re

from guard.lazyre import Pattern
from guard.checks.migrations import forward
from guard.checks.migrations.model import Migration

JOURNAL = "meta/_journal.json"
LEADING = Pattern(r"^(?P<v>\d+)_(?P<name>.+)$")


def journal(blobs: dict[str, bytes], folder: str) -> tuple[list[dict] | None, str | None, str]:
    """(entries, dialect, problem) from meta/_journal.json."""
    path = f"{folder}/{JOURNAL}"
    raw = blobs.get(path)
    if raw is None:
        return None, None, f"{path} is missing"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, None, f"{path} is not valid JSON ({exc})"
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("tag"), str) for e in entries):
        return None, None, f"{path} has no list of entries with a tag each"
    return entries, data.get("dialect"), ""


def index(folder: str, paths: list[str], entries: list[dict] | None) -> list[Migration]:
    files = {posixpath.basename(p)[:-4]: p for p in paths
             if posixpath.dirname(p) == folder and p.endswith(".sql")
             and not p.endswith(".down.sql")}
    order = {e["tag"]: i for i, e in enumerate(entries or [])}
    out = []
    for tag, path in sorted(files.items()):
        m = LEADING.match(tag)
        idx = order.get(tag)
        version = (idx,) if idx is not None else ((int(m.group("v")),) if m else None)
        mig = Migration("drizzle", tag, path, (path,), version,
                        m.group("v") if m else tag, m.group("name") if m else tag, "drizzle")
        down = f"{folder}/{tag}.down.sql"
        if down in paths:
            mig.down_path = down
            mig.files = (path, down)
        out.append(mig)
    return out


def load(mig: Migration, blobs: dict[str, bytes]) -> None:
    forward.load(mig, blobs)
