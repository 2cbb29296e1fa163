"""Which tool runs a plain SQL folder, and the version rules that tool enforces.

The migrator is `guard.migrations.migrator` when set, else read from the project: go.mod
requires (golang-migrate, goose, sql-migrate, dbmate, pop / ory's popx; an `// indirect`
requirement is another module's, not the project's), package.json dependencies (dbmate),
flyway.conf / flyway.toml. Without any, the file names decide (as before)."""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from guard.checks.migrations_spec import MIGRATORS  # noqa: F401  (the setting's choices)


class Rules(NamedTuple):
    unique: bool           # two migrations may not share a version (the tool refuses)
    older: str | None      # a new version below the base's newest: "error", or None = applied
    why_older: str         # what the tool does with it


RULES = {
    "golang-migrate": Rules(True, "error", "golang-migrate applies only versions above the "
                            "database's current one; it never runs an older newcomer"),
    "goose": Rules(True, "error", "goose up stops with \"missing migrations\" unless run "
                   "with -allow-missing"),
    "flyway": Rules(True, "error", "flyway migrate fails validation (\"resolved migration not "
                    "applied\") unless outOfOrder=true"),
    "dbmate": Rules(True, None, "dbmate applies every pending migration, older ones too"),
    "sql-migrate": Rules(False, None, "sql-migrate keys migrations by file name and applies "
                         "every one not yet applied"),
    "pop": Rules(True, None, "pop applies every version its schema_migration table lacks, "
                 "older ones too"),
    "name-order": Rules(False, "error", "a runner that applies files in name order may never "
                        "reach a file that sorts before the applied ones"),
}

_GO = (("github.com/golang-migrate/migrate", "golang-migrate"),
       ("github.com/pressly/goose", "goose"), ("github.com/rubenv/sql-migrate", "sql-migrate"),
       ("github.com/amacneil/dbmate", "dbmate"),
       # gobuffalo/pop's file migrator, ory's fork of it and ory/x's popx (the same names)
       ("github.com/gobuffalo/pop", "pop"), ("github.com/ory/pop", "pop"),
       ("github.com/ory/x", "pop"))
_NPM = (("dbmate", "dbmate"), ("node-flywaydb", "flyway"))
FILES = ("go.mod", "package.json", "flyway.conf", "flyway.toml", "conf/flyway.conf")


def detect(blobs: dict[str, bytes]) -> str | None:
    """The migrator the project's own files name (``blobs``: root files by path)."""
    gomod = blobs.get("go.mod", b"").decode("utf-8", "replace")
    direct = [line for line in gomod.splitlines() if "// indirect" not in line]
    for module, name in _GO:
        pattern = re.compile(rf"^\s*(require\s+)?{re.escape(module)}(/v\d+)?\s")
        if any(pattern.match(line + " ") for line in direct):
            return name
    raw = blobs.get("package.json")
    if raw:
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        deps: dict = {}
        for key in ("dependencies", "devDependencies"):
            if isinstance(data, dict) and isinstance(data.get(key), dict):
                deps.update(data[key])
        for package, name in _NPM:
            if package in deps:
                return name
    if any(f in blobs for f in ("flyway.conf", "flyway.toml", "conf/flyway.conf")):
        return "flyway"
    return None
