"""Prisma: prisma/migrations/<timestamp>_<name>/migration.sql, forward-only by design.

Rollback: a down.sql next to migration.sql (`prisma migrate diff ... --script > down.sql`),
or `-- rollback: ...` notes in migration.sql for the hand-off report.
"""

from __future__ import annotations

import posixpath
import re

from guard.lazyre import Pattern
from guard.checks.migrations import forward
from guard.checks.migrations.model import Migration

DIR = Pattern(r"^(?P<v>\d+)_(?P<name>.+)$")
PROVIDER = Pattern(r'^\s*provider\s*=\s*"(?P<p>[^"]+)"', re.M)


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


def out_of_order(finding):
    """MIG003 as Prisma has it: `prisma migrate deploy` applies every folder that
    `_prisma_migrations` lacks, in name order (the timestamp prefix `prisma migrate dev`
    gives the folder), whatever its timestamp: a branch merged after a newer one is routine,
    so the newcomer is not skipped. What remains worth saying: on a database that already
    holds the newer migration it runs after it, on a fresh one before it — an info, not an
    error, in Prisma's words (folders and timestamps, not versions)."""
    if finding.rule != "MIG003":
        return finding
    folder = posixpath.dirname(finding.path)
    newest = finding.message.split(" sorts before ", 1)[-1].split(",", 1)[0]
    return finding._replace(
        severity="info",
        message=f"new migration folder {posixpath.basename(folder)} is timestamped before "
                f"{newest}, the newest migration folder on the base; prisma migrate deploy "
                "still applies it (every folder _prisma_migrations lacks, in name order): "
                "after that migration on databases that have it, before it on a fresh one",
        hint="nothing to do unless the two migrations touch the same tables; then give the "
             "folder a timestamp after the newest one (rename it, or delete it and run "
             "prisma migrate dev again)")
