"""Plain SQL migration folders: golang-migrate, Flyway, dbmate and pop file conventions."""

from __future__ import annotations

import re

from guard.checks.migrations import sqltext
from guard.lazyre import Pattern
from guard.checks.migrations.model import Migration

GOLANG = Pattern(r"^(?P<v>\d+)_(?P<name>.+)\.(?P<dir>up|down)\.sql$")
FLYWAY = Pattern(r"^(?P<kind>[VU])(?P<v>\d+(?:[._]\d+)*)__(?P<name>.+)\.sql$")
REPEATABLE = Pattern(r"^R__(?P<name>.+)\.sql$")
NUMBERED = Pattern(r"^(?P<v>\d+)_(?P<name>.+)\.sql$")
# `0001_init_up.sql` / `0001_init_down.sql`: one migration and its down step, as runners
# that apply files in name order (and match `*_up.sql`) read them
NAME_ORDER = Pattern(r"^(?P<v>\d+)_(?P<name>.+)_(?P<dir>up|down)\.sql$")
# gobuffalo/pop and ory/x popx: `<version>_<name>[.<dialect>][.autocommit].(up|down).sql`;
# the name has no dot, so the first dotted part after it is the database the file is for
POP = Pattern(r"^(?P<v>\d+)_(?P<name>[^.]+)(?P<db>\.[a-z0-9]+)?(?P<ac>\.autocommit)?"
              r"\.(?P<dir>up|down)\.sql$")
DBMATE_UP = Pattern(r"^--\s*migrate:up\b.*$", re.M)
DBMATE_DOWN = Pattern(r"^--\s*migrate:down\b.*$", re.M)
# one file, two sections, as goose and sql-migrate mark them
MARKERS = {"goose": (Pattern(r"^--\s*\+goose\s+up\b.*$", re.M | re.I),
                     Pattern(r"^--\s*\+goose\s+down\b.*$", re.M | re.I)),
           "sql-migrate": (Pattern(r"^--\s*\+migrate\s+up\b.*$", re.M | re.I),
                           Pattern(r"^--\s*\+migrate\s+down\b.*$", re.M | re.I))}

# pop's own spellings of a database (pop.CanonicalDialect), and the SQL guard reads each
# with; a file for any other database is one pop ignores ("dialect is not supported")
POP_DATABASES = {"postgres": "postgres", "postgresql": "postgres", "pg": "postgres",
                 "pgx": "postgres", "cockroach": "cockroach", "cockroachdb": "cockroach",
                 "crdb": "cockroach", "mysql": "mysql", "mariadb": "mysql",
                 "sqlite3": "sqlite3", "sqlite": "sqlite3", "yugabyte": "yugabyte",
                 "yugabytedb": "yugabyte"}
POP_DIALECT = {"postgres": "postgres", "cockroach": "cockroach", "yugabyte": "postgres",
               "mysql": "mysql", "sqlite3": "sqlite"}


def is_sql_migration_name(name: str) -> bool:
    return bool(GOLANG.match(name) or FLYWAY.match(name) or REPEATABLE.match(name)
                or NUMBERED.match(name))


def _version(text: str) -> tuple:
    if text.isdecimal():        # the usual case (one number, as \d+ matched it)
        return (int(text),)
    return tuple(int(p) for p in text.replace("_", ".").split("."))


def index(folder: str, paths: list[str], migrator: str | None = None) -> list[Migration]:
    """Migrations of one folder from file names alone (no content read)."""
    if migrator == "pop":
        return pop_index(folder, paths)
    downs: dict[str, str] = {}
    out: list[Migration] = []
    paired = _name_order_names(folder, paths)
    for path in sorted(paths):
        parent, _, name = path.rpartition("/")     # git paths: dirname and basename
        if parent != folder:
            continue
        m = GOLANG.match(name)
        if m:
            version, stem, direction = m.groups()
            key = f"{version}_{stem}"
            if direction == "down":
                downs[key] = path
                continue
            mig = Migration("sql", key, path, (path,), _version(version), version, stem,
                            "golang-migrate")
            out.append(mig)
            continue
        m = FLYWAY.match(name)
        if m:
            key = f"{m.group('v')}__{m.group('name')}"
            if m.group("kind") == "U":
                downs[f"flyway:{m.group('v')}"] = path
                continue
            mig = Migration("sql", key, path, (path,), _version(m.group("v")), m.group("v"),
                            m.group("name"), "flyway")
            out.append(mig)
            continue
        m = REPEATABLE.match(name)
        if m:
            mig = Migration("sql", name, path, (path,), None, "R", m.group("name"),
                            "flyway-repeatable")
            out.append(mig)
            continue
        m = NAME_ORDER.match(name) if name[:-4] in paired else None
        if m:
            version, stem, direction = m.groups()
            key = f"{version}_{stem}"
            if direction == "down":
                downs[f"name-order:{key}"] = path
                continue
            out.append(Migration("sql", key, path, (path,), _version(version), version, stem,
                                 "name-order"))
            continue
        m = NUMBERED.match(name)
        if m:
            mig = Migration("sql", name[:-4], path, (path,), _version(m.group("v")),
                            m.group("v"), m.group("name"), "dbmate")
            out.append(mig)
    for mig in out:
        down = None
        if mig.style == "golang-migrate":
            down = downs.get(mig.key)
        elif mig.style == "flyway":
            down = downs.get(f"flyway:{mig.label}")
        elif mig.style == "name-order":
            down = downs.get(f"name-order:{mig.key}")
        if down:
            mig.down_path = down
            mig.files = (mig.path, down)
    return out


def pop_index(folder: str, paths: list[str]) -> list[Migration]:
    """A pop folder as pop reads it: one Migration per up file, the database it is for
    (``variant``) from its name. pop runs, for each version its schema_migration table lacks,
    the up file for the connection's database, else the one without a database in its name;
    its down step is the down file for the same database, else the generic one."""
    ups: list[Migration] = []
    downs: dict[tuple[str, str], str] = {}
    for path in sorted(paths):
        parent, _, name = path.rpartition("/")
        if parent != folder:
            continue
        m = POP.match(name)
        if m is None:
            continue
        version, stem, db, autocommit, direction = m.groups()
        if db == ".autocommit":       # `1_x.autocommit.up.sql`: every database, no transaction
            db, autocommit = None, ".autocommit"
        variant = "all"
        if db:
            variant = POP_DATABASES.get(db[1:])
            if variant is None:
                continue                # pop ignores a file for a database it does not know
        if direction == "down":
            downs.setdefault((version, variant), path)
            continue
        mig = Migration("sql", name[:-len(".up.sql")], path, (path,), _version(version),
                        version, stem, "pop")
        mig.variant = variant
        mig.dialect = POP_DIALECT.get(variant)
        mig.autocommit = bool(autocommit)
        ups.append(mig)
    variants: dict[str, set[str]] = {}
    for mig in ups:
        variants.setdefault(mig.label, set()).add(mig.variant)
    for mig in ups:
        down = downs.get((mig.label, mig.variant)) or downs.get((mig.label, "all"))
        if down:
            mig.down_path = down
            mig.files = (mig.path, down)
        if mig.variant == "all":
            # the generic file runs only on the databases without a file of their own
            rest = [d for d in ("postgres", "cockroach", "mysql", "sqlite3")
                    if d not in variants[mig.label]]
            if rest and "postgres" not in rest:
                mig.dialect = POP_DIALECT[rest[0]]
    return ups


def pop_select(migs: list[Migration], database: str) -> list[Migration]:
    """The migrations pop runs on ``database`` (a pop name: postgres, sqlite3...): per
    version the file for that database, else the generic one; other folders' as they are."""
    chosen: dict[str, Migration] = {}
    out = []
    for m in migs:
        if m.style != "pop":
            out.append(m)
        elif m.variant == database or (m.variant == "all" and m.label not in chosen):
            chosen[m.label] = m
    return out + list(chosen.values())


def _name_order_names(folder: str, paths: list[str]) -> set[str]:
    """Stems (``0001_init_up``, ``0001_init_down``) read as name-order up/down files: both
    halves of a pair, and a lone ``_up`` file in a folder that has pairs (``0001_no_down.sql``
    alone in a dbmate folder is a migration, not a down step)."""
    names = {p.rpartition("/")[2][:-4] for p in paths
             if p.rpartition("/")[0] == folder and NAME_ORDER.match(p.rpartition("/")[2])}
    pairs = {n for n in names if n.endswith("_up") and n[:-3] + "_down" in names}
    out = pairs | {n[:-3] + "_down" for n in pairs}
    if pairs:
        out |= {n for n in names if n.endswith("_up")}
    return out


def load(mig: Migration, blobs: dict[str, bytes]) -> None:
    """Fill the up and down parts from file contents (``blobs``: path → bytes)."""
    text = _text(mig, mig.path, blobs)
    if text is None:
        return
    bad: list = []
    if mig.style == "dbmate":
        up_m, down_m = DBMATE_UP.search(text), DBMATE_DOWN.search(text)
        if up_m is None and down_m is None and "+" in text:
            for style, (up_re, down_re) in MARKERS.items():
                up_m, down_m = up_re.search(text), down_re.search(text)
                if up_m or down_m:
                    mig.style = style
                    break
        if up_m is None and down_m is None:
            mig.up = sqltext.split(text, mig.path, 1, bad)
            mig.down_state = "none"
        else:
            up_start = up_m.end() if up_m else 0
            up_end = down_m.start() if down_m and down_m.start() > up_start else len(text)
            mig.up = sqltext.split(text[up_start:up_end], mig.path,
                                   sqltext.line_of_offset(text, up_start), bad)
            if down_m:
                mig.down_line = sqltext.line_of_offset(text, down_m.start())
                end = up_m.start() if up_m and up_m.start() > down_m.end() else len(text)
                mig.down = sqltext.split(text[down_m.end():end], mig.path,
                                         sqltext.line_of_offset(text, down_m.end()), bad)
                mig.down_path = mig.path
                mig.down_state = "present" if mig.down else "empty"
    else:
        mig.up = sqltext.split(text, mig.path, 1, bad)
        if not mig.down_path and "rollback" in text:
            from guard.checks.migrations.forward import rollback_notes
            mig.rollback_notes = rollback_notes(text)
        if mig.down_path:
            down = _text(mig, mig.down_path, blobs)
            mig.down = sqltext.split(down or "", mig.down_path, 1, bad)
            mig.down_line = 1
            mig.down_state = "present" if mig.down else "empty"
        elif mig.style == "flyway-repeatable":
            mig.down_state = "repeatable"
    mig.bad_ignores.extend(bad)


def _text(mig: Migration, path: str, blobs: dict[str, bytes]) -> str | None:
    raw = blobs.get(path)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        mig.problems.append(("MIG011", None, f"{path} is not valid UTF-8 ({exc.reason} at byte "
                             f"{exc.start})", "save the migration as UTF-8"))
        return None
