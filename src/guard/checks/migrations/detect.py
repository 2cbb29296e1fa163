"""Where the migrations are: from guard.migrations (path, framework), tech_stack.orm, or
the layout of the repository (file names only; nothing is read or run)."""

import posixpath
import re
from typing import NamedTuple

from guard.lazyre import Pattern
from guard.checks.migrations import sqlfiles

SKIP = Pattern(r"(^|/)(node_modules|vendor|\.venv|venv|site-packages|\.git|fixtures|testdata)/")
DJANGO_NAME = Pattern(r"^\d{4,}_\w+\.py$")
SQLISH_FOLDER = Pattern(r"(^|/)(migrations?|migrate|db|sql|schema)$|migrat", re.I)


# Every file find() and the index/load functions of each framework look at, as git wildcard
# pathspecs (`*` also matches `/`): SQL files (plain SQL, Prisma, Drizzle), Alembic's env.py /
# script.py.mako and its versions/ folder, Django's migrations/ folders, Drizzle's journal,
# Prisma's lock file. A superset is harmless; with no guard.migrations.path, git lists only
# these instead of every file of the tree.
CANDIDATES = ("*.sql", "*env.py", "*script.py.mako", "*versions/*.py", "*migrations/*.py",
              "*_journal.json", "*migration_lock.toml", "*alembic.ini", "pyproject.toml",
              # the migrator of plain SQL folders (migrators.FILES)
              "go.mod", "package.json", "flyway.conf", "flyway.toml", "conf/flyway.conf",
              ".env", "Makefile", "makefile", "GNUmakefile", "docker-compose.yml",
              "docker-compose.yaml", "compose.yml", "compose.yaml",
              # where projects keep seed data (rules.DEFAULT_SEED_SPECS), for MIG021
              "seeds/*", "*/seeds/*", "prisma/seed.*", "fixtures/*", "*/fixtures/*",
              "db/seed.*", "db/seeds.*")


# a folder named for its database (`migrations/sqlite/`, `db/postgres/`, `sql/mariadb`)
FOLDER_DIALECT = {"sqlite": "sqlite", "sqlite3": "sqlite", "postgres": "postgres",
                  "postgresql": "postgres", "pg": "postgres", "pgsql": "postgres",
                  "mysql": "mysql", "mariadb": "mysql"}


def folder_dialect(folder: str) -> str | None:
    """The dialect a migrations folder's own path names, innermost folder first."""
    for part in reversed(folder.lower().split("/")):
        if part in FOLDER_DIALECT:
            return FOLDER_DIALECT[part]
    return None


class Place(NamedTuple):
    framework: str
    folder: str


def find(paths: set[str], *, path: str | None, framework: str | None,
         hinted: str | None) -> list[Place]:
    """Every migration folder in ``paths`` (repository-relative file names)."""
    # Paths come from git: no leading, trailing or doubled slashes, so rpartition gives
    # posixpath's dirname and basename (without its per-call overhead, for 10,000s of files)
    if path:
        prefix = path.rstrip("/") + "/"
        paths = {p for p in paths if p.startswith(prefix)}
    else:
        # SKIP needs a "/" after the folder name it finds, so a file's folder decides it
        skip: dict[str, bool] = {}
        kept = set()
        for p in paths:
            parent = p.rpartition("/")[0]
            skipped = skip.get(parent)
            if skipped is None:
                skipped = skip[parent] = SKIP.search(parent + "/") is not None
            if not skipped:
                kept.add(p)
        paths = kept
    found: dict[tuple[str, str], Place] = {}
    taken: set[str] = set()

    def add(fw: str, folder: str) -> None:
        found.setdefault((fw, folder), Place(fw, folder))
        taken.add(folder)

    for p in paths:
        parent, _, base = p.rpartition("/")
        if base == "migration.sql" and posixpath.basename(posixpath.dirname(parent)) == "migrations":
            add("prisma", posixpath.dirname(parent))
        elif base == "_journal.json" and posixpath.basename(parent) == "meta":
            add("drizzle", posixpath.dirname(parent))
        elif base in ("env.py", "script.py.mako"):
            versions = posixpath.join(parent, "versions") if parent else "versions"
            if any(q.startswith(versions + "/") and q.endswith(".py") for q in paths):
                add("alembic", versions)
    for p in paths:
        parent, _, base = p.rpartition("/")
        if parent in taken or parent.rpartition("/")[0] in taken:
            continue
        if DJANGO_NAME.match(base) and posixpath.basename(parent) == "migrations":
            add("django", parent)
        elif base.endswith(".sql") and sqlfiles.is_sql_migration_name(base):
            strong = sqlfiles.GOLANG.match(base) or sqlfiles.FLYWAY.match(base)
            if strong or SQLISH_FOLDER.search(parent) or path:
                add("sql", parent)
    places = sorted(found.values(), key=lambda pl: (pl.folder, pl.framework))
    if path and not framework:
        # the configured folder itself, if it holds migrations, wins over sub-folders
        own = [pl for pl in places if pl.folder == path.rstrip("/")]
        places = own or places
    if framework:
        return [pl for pl in places if pl.framework == framework] or (
            [Place(framework, path.rstrip("/"))] if path else [])
    if hinted:
        preferred = [pl for pl in places if pl.framework == hinted]
        if preferred:
            return preferred
    return places
