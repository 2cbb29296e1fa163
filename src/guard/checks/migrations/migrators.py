"""Which tool runs a plain SQL folder, and the version rules that tool enforces.

The migrator is `guard.migrations.migrator` when set, else read from the project: go.mod
requires (golang-migrate, goose, sql-migrate, dbmate, pop / ory's popx; an `// indirect`
requirement is another module's, not the project's), package.json dependencies (dbmate,
node-flywaydb), flyway.conf / flyway.toml, then dbmate's own traces: a `dbmate` script, a
Makefile recipe or compose service naming it, DBMATE_* variables in .env or the environment,
or DATABASE_URL in .env beside dbmate's default folder db/migrations. Without any, the file
names decide (as before)."""

from __future__ import annotations

import json
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
# where a project says it runs dbmate: a Makefile recipe, a compose service (the
# amacneil/dbmate image), a package.json script, dbmate's own variables in .env
_DBMATE_FILES = ("Makefile", "makefile", "GNUmakefile", "docker-compose.yml",
                 "docker-compose.yaml", "compose.yml", "compose.yaml")
FILES = ("go.mod", "package.json", "flyway.conf", "flyway.toml", "conf/flyway.conf",
         ".env") + _DBMATE_FILES


def _go_modules(gomod: str) -> set[str]:
    """The modules go.mod requires directly (`require x v1` and the lines of a require
    block), without a major-version suffix; an `// indirect` one is another module's."""
    out = set()
    block = None
    for line in gomod.splitlines():
        words = line.split("//", 1)[0].split()
        if not words:
            continue
        if words[0] == ")":
            block = None
            continue
        if len(words) >= 2 and words[1] == "(":
            block = words[0]
            continue
        if block is None and words[0] == "require":
            words = words[1:]
        elif block != "require":
            continue
        if len(words) < 2 or "// indirect" in line:
            continue
        module = words[0]
        head, _, last = module.rpartition("/")
        if head and last[:1] == "v" and last[1:].isdecimal():
            module = head
        out.add(module)
    return out


def _mentions_dbmate(text: str) -> bool:
    import re
    return re.search(r"(?<![\w.-])dbmate(?![\w-])", text) is not None


def detect(blobs: dict[str, bytes], environ=None, folders=()) -> str | None:
    """The migrator the project's own files name (``blobs``: root files by path).
    ``environ``: the environment guard runs in (dbmate's DBMATE_* variables); ``folders``:
    the plain SQL migration folders (dbmate's default is db/migrations)."""
    modules = _go_modules(blobs.get("go.mod", b"").decode("utf-8", "replace"))
    for module, name in _GO:
        if module in modules:
            return name
    raw = blobs.get("package.json")
    scripts: dict = {}
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
        if isinstance(data, dict) and isinstance(data.get("scripts"), dict):
            scripts = data["scripts"]
    if any(f in blobs for f in ("flyway.conf", "flyway.toml", "conf/flyway.conf")):
        return "flyway"
    if any(isinstance(v, str) and _mentions_dbmate(v) for v in scripts.values()):
        return "dbmate"
    for name in _DBMATE_FILES:
        if name in blobs and _mentions_dbmate(blobs[name].decode("utf-8", "replace")):
            return "dbmate"
    dotenv = _dotenv_names(blobs.get(".env", b"").decode("utf-8", "replace"))
    if any(k.startswith("DBMATE_") for k in dotenv) or any(
            k.startswith("DBMATE_") for k in (environ or {})):
        return "dbmate"
    if "DATABASE_URL" in dotenv and "db/migrations" in folders:
        return "dbmate"       # dbmate's defaults: DATABASE_URL from .env, db/migrations
    return None


def _dotenv_names(text: str) -> set[str]:
    out = set()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, eq, _ = line.partition("=")
        if eq and name and not name.startswith("#"):
            out.add(name.strip())
    return out
