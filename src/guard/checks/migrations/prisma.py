"""Prisma: prisma/migrations/<timestamp>_<name>/migration.sql, forward-only by design.

Rollback: a down.sql next to migration.sql (`prisma migrate diff ... --script > down.sql`),
or `-- rollback: ...` notes in migration.sql for the hand-off report.
"""

from __future__ import annotations

import posixpath
import re

from guard.checks.migrations import forward
from guard.checks.migrations.model import Migration

DIR = re.compile(r"^(?P<v>\d+)_(?P<name>.+)$")
PROVIDER = re.compile(r'^\s*provider\s*=\s*"(?P<p>[^"]+)"', re.M)


def index(folder: str, paths: list[str]) -> list[Migration]:
    out = []
    for path in sorted(paths):
        if posixpath.basename(path) != "migration.sql":
            continue
        sub = posixpath.dirname(path)
        if posixpath.dirname(sub) != folder:
            continue
        m = DIR.match(posixpath.basename(sub))
        version = (int(m.group("v")),) if m else None
        mig = Migration("prisma", posixpath.basename(sub), path, (path,), version,
                        m.group("v") if m else posixpath.basename(sub),
                        m.group("name") if m else "", "prisma")
        down = f"{sub}/down.sql"
        if down in paths:
            mig.down_path = down
            mig.files = (path, down)
        if not m:
            mig.problems.append(("MIG011", None, f"{sub} is not named <timestamp>_<name>, so "
                                 "Prisma cannot order it", "rename it the way prisma migrate "
                                 "dev does (20240101120000_add_orders)"))
        out.append(mig)
    return out


def dialect(blobs: dict[str, bytes], folder: str) -> str | None:
    raw = blobs.get(f"{folder}/migration_lock.toml")
    if not raw:
        return None
    m = PROVIDER.search(raw.decode("utf-8", "replace"))
    return m.group("p") if m else None


def load(mig: Migration, blobs: dict[str, bytes]) -> None:
    forward.load(mig, blobs)
