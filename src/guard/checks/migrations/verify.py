"""--verify-migrations: prove each new migration's rollback on a throwaway database.

Step by step, as pytest-alembic's up/down consistency test does: the base's migrations up;
then for each new migration k, on the database at k-1: up k, snapshot; down k, which must
give the k-1 snapshot back (MIG030); up k again, which must give the k snapshot back
(MIG032). A down step that leaves the schema changed is an error for that migration, also
when an earlier one has no down step; what cannot be proven is a MIG034 warning. SQLite
(embedded) by default; PostgreSQL when guard.migrations.database_url (or the variable it
names) is set: guard creates a database of its own on that server and drops it afterwards.
Plain SQL, Prisma and Drizzle are applied by guard itself (toolrun.py runs Alembic and
Django). The throwaway databases are always removed, also on failure.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import tempfile
from typing import Any

from guard.checks.migrations.model import Migration, Stmt
from guard.finding import Finding

APPLIED_BY_GUARD = ("sql", "prisma", "drizzle")


class StepFailed(Exception):
    def __init__(self, stmt: Stmt | None, error: str):
        super().__init__(error)
        self.stmt, self.error = stmt, error


class SqliteDB:
    engine = "sqlite"

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="guard-verify-", suffix=".sqlite3")
        os.close(fd)
        self.conn = sqlite3.connect(self.path, isolation_level=None)

    def apply(self, stmts: list[Stmt]) -> None:
        buf, first = "", None
        for stmt in stmts:
            # CREATE TRIGGER ... BEGIN ...; END; arrives in pieces: join until complete
            buf += stmt.sql + ";\n"
            first = first or stmt
            if not sqlite3.complete_statement(buf):
                continue
            try:
                self.conn.executescript(buf)
            except sqlite3.Error as exc:
                raise StepFailed(first, str(exc)) from None
            buf, first = "", None
        if buf.strip():
            try:
                self.conn.executescript(buf)
            except sqlite3.Error as exc:
                raise StepFailed(first, str(exc)) from None

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        rows = self.conn.execute("SELECT name, type FROM sqlite_master WHERE type IN "
                                 "('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
        for name, kind in rows.fetchall():
            cols = {r[1]: f"{r[2] or ''}{' NOT NULL' if r[3] else ''}"
                          f"{' DEFAULT ' + str(r[4]) if r[4] is not None else ''}"
                          f"{' PRIMARY KEY' if r[5] else ''}"
                    for r in self.conn.execute(f'PRAGMA table_info("{name}")')}
            indexes = {}
            for r in self.conn.execute(f'PRAGMA index_list("{name}")').fetchall():
                if r[1].startswith("sqlite_autoindex"):
                    continue
                cols_ix = [c[2] for c in self.conn.execute(f'PRAGMA index_info("{r[1]}")')]
                indexes[r[1]] = f"{'UNIQUE ' if r[2] else ''}({', '.join(map(str, cols_ix))})"
            fks = sorted(f"{r[3]} -> {r[2]}({r[4]})"
                         for r in self.conn.execute(f'PRAGMA foreign_key_list("{name}")'))
            out[name] = {"kind": kind, "columns": cols, "indexes": indexes,
                         "constraints": {f: "foreign key" for f in fks}}
        return out

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            for suffix in ("", "-journal", "-wal", "-shm"):
                try:
                    os.remove(self.path + suffix)
                except FileNotFoundError:
                    pass


class PostgresDB:
    engine = "postgresql"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise StepFailed(None, "the psycopg package is not installed (pip install "
                             "'psycopg[binary]') — it is needed to verify on PostgreSQL") from None
        from psycopg import conninfo
        self.psycopg = psycopg
        self.name = f"guard_verify_{secrets.token_hex(6)}"
        try:
            self.admin = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StepFailed(None, f"cannot connect to the PostgreSQL server: "
                             f"{str(exc).strip().splitlines()[0]}") from None
        self.conn = None
        try:
            self.admin.execute(f'CREATE DATABASE "{self.name}"')
            self.conn = psycopg.connect(conninfo.make_conninfo(url, dbname=self.name),
                                        autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            self.close()
            raise StepFailed(None, f"cannot create a throwaway database on the server: "
                             f"{str(exc).strip().splitlines()[0]}") from None

    def apply(self, stmts: list[Stmt]) -> None:
        for stmt in stmts:
            try:
                self.conn.execute(stmt.sql)
            except self.psycopg.Error as exc:
                raise StepFailed(stmt, str(exc).strip().splitlines()[0]) from None

    def snapshot(self) -> dict[str, Any]:
        q = self.conn.execute
        skip = "('pg_catalog', 'information_schema', 'pg_toast')"
        out: dict[str, Any] = {}
        for schema, table, kind in q(
                "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                f"WHERE table_schema NOT IN {skip} ORDER BY 1, 2").fetchall():
            out[_qual(schema, table)] = {"kind": kind.lower(), "columns": {}, "indexes": {},
                                         "constraints": {}}
        for schema, table, col, dtype, nullable, default in q(
                "SELECT table_schema, table_name, column_name, data_type, is_nullable, "
                "column_default FROM information_schema.columns "
                f"WHERE table_schema NOT IN {skip}").fetchall():
            entry = out.setdefault(_qual(schema, table), {"kind": "?", "columns": {},
                                                          "indexes": {}, "constraints": {}})
            entry["columns"][col] = (f"{dtype}{' NOT NULL' if nullable == 'NO' else ''}"
                                     f"{' DEFAULT ' + default if default else ''}")
        for schema, table, name, definition in q(
                "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes "
                f"WHERE schemaname NOT IN {skip}").fetchall():
            if _qual(schema, table) in out:
                out[_qual(schema, table)]["indexes"][name] = definition.split(" USING ", 1)[-1]
        for schema, table, name, definition in q(
                "SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid) "
                "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
                f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN {skip}"
                ).fetchall():
            if _qual(schema, table) in out:
                out[_qual(schema, table)]["constraints"][name] = definition
        return out

    def close(self) -> None:
        try:
            if self.conn is not None:
                self.conn.close()
        finally:
            try:
                try:
                    self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                except self.psycopg.errors.SyntaxError:   # PostgreSQL < 13
                    self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            finally:
                self.admin.close()


def _qual(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def diff(before: dict, after: dict) -> list[str]:
    """Differences, table by table: what `after` has that `before` had not, and the reverse."""
    out = []
    for table in sorted(set(before) | set(after)):
        if table not in after:
            out.append(f"table {table} is missing")
            continue
        if table not in before:
            out.append(f"table {table} is left over")
            continue
        for part, word in (("columns", "column"), ("indexes", "index"),
                           ("constraints", "constraint")):
            a, b = before[table].get(part, {}), after[table].get(part, {})
            for key in sorted(set(a) | set(b)):
                if key not in b:
                    out.append(f"table {table}: {word} {key} ({a[key]}) is missing")
                elif key not in a:
                    out.append(f"table {table}: {word} {key} ({b[key]}) is left over")
                elif a[key] != b[key]:
                    out.append(f"table {table}: {word} {key} is {b[key]}, expected {a[key]}")
    return out


def _url(settings) -> tuple[str | None, str | None]:
    """(url, problem)."""
    if settings.database_env:
        value = os.environ.get(settings.database_env, "").strip()
        if not value:
            return None, (f"guard.migrations.database_url names ${settings.database_env}, "
                          "which is not set")
        return value, None
    return settings.database_url, None


def _for_engine(migs: list[Migration], engine: str) -> list[Migration]:
    """pop keeps a file per database under one version: the ones pop runs on this engine."""
    if not any(m.style == "pop" for m in migs):
        return migs
    from guard.checks.migrations.sqlfiles import pop_select
    return pop_select(migs, "sqlite3" if engine == "sqlite" else "postgres")


def _ordered(migs: list[Migration]) -> list[Migration]:
    return sorted(migs, key=lambda m: (m.version is None, m.version or (), m.path))


def _prepare(mset, migs: list[Migration], read) -> None:
    from guard.checks.migrations import drizzle, prisma, sqlfiles
    loader = {"sql": sqlfiles.load, "prisma": prisma.load, "drizzle": drizzle.load}[
        mset.framework]
    blobs = read([f for m in migs for f in m.files])
    for m in migs:
        if m.up is None:
            loader(m, blobs)


def _fail(rule, message, hint, path, line=None) -> Finding:
    return Finding(rule, "migrations", "error", message, hint, path, line)


def run(ctx, settings, sets, base_read, head_read, notes) -> tuple[list[Finding], dict]:
    url, problem = _url(settings)
    engine = "postgresql" if url or problem else "sqlite"
    result: dict[str, Any] = {"engine": engine, "sets": []}
    findings: list[Finding] = []
    cfg = settings.file
    if problem:
        findings.append(_fail("MIG033", f"cannot verify migrations: {problem}",
                              f"export {settings.database_env}=postgresql://... or drop "
                              "guard.migrations.database_url to verify on SQLite", cfg,
                              settings.database_url_line))
        result["status"] = "not run"
        result["detail"] = problem
        return findings, result
    by_file = {n["file"]: n for n in notes}
    for mset in sets:
        fresh = _ordered(_for_engine([m for m in mset.head if m.path in mset.new], engine))
        entry = {"folder": mset.folder, "framework": mset.framework, "status": "passed",
                 "differences": []}
        result["sets"].append(entry)
        if not fresh:
            entry["status"] = "nothing new"
            continue
        if mset.framework not in APPLIED_BY_GUARD:
            from guard.checks.migrations import toolrun

            def mark(m, text, only_if_empty=False):
                note = by_file.get(m.path)
                if note is not None and not (only_if_empty and note["verification"]):
                    note["verification"] = text
            findings += toolrun.round_trip(ctx, settings, mset, mset.base, fresh, url, entry,
                                           mark)
            continue
        base = _ordered(_for_engine([m for m in mset.base if m.version is not None or
                                     m.style == "flyway-repeatable"], engine))
        _prepare(mset, base, base_read)
        _prepare(mset, fresh, head_read)
        findings += _round_trip(mset, base, fresh, url, entry, by_file)
    states = {e["status"] for e in result["sets"]}
    result["status"] = ("failed" if "failed" in states else "not run" if "not run" in states
                        else "partial" if "partial" in states
                        else "nothing to verify" if states <= {"nothing new"} else "passed")
    return findings, result


def _round_trip(mset, base, fresh, url, entry, by_file) -> list[Finding]:
    """Step by step, as pytest-alembic's up/down consistency test: for each new migration k
    on a database at k-1: up k, snapshot, down k (must give the k-1 snapshot back), up k
    again (must give the k snapshot back). A migration that cannot be proven (no down step,
    or an earlier step broke the database) is a MIG034 warning, never a silent skip."""
    findings: list[Finding] = []

    def mark(m: Migration, text: str) -> None:
        note = by_file.get(m.path)
        if note is not None:
            note["verification"] = text

    def open_db(upto: int):
        """A new throwaway database at the base plus fresh[:upto] (None: could not)."""
        fresh_db = PostgresDB(url) if url else SqliteDB()
        for m in base + fresh[:upto]:
            try:
                fresh_db.apply(m.up or [])
            except StepFailed as exc:
                fresh_db.close()
                return None, m, exc
        return fresh_db, None, None

    where = "a throwaway PostgreSQL database" if url else "a throwaway SQLite database"
    engine = "postgresql" if url else "sqlite"
    try:
        db, bad, exc = open_db(0)
    except StepFailed as exc:
        entry["status"] = "not run"
        entry["differences"] = [exc.error]
        return [_fail("MIG033", f"cannot verify migrations: {exc.error}",
                      "check guard.migrations.database_url and that the server is up",
                      fresh[0].path)]
    entry["engine"] = engine
    if db is None:
        entry["status"] = "not run"
        line = exc.stmt.line if exc.stmt else None
        findings.append(_fail(
            "MIG033", f"the base's migration {bad.path} fails on {where} "
            f"(line {line}): {exc.error}, so the round trip cannot start",
            "verify on the database the project uses (guard.migrations.database_url)",
            bad.path, line))
        for f in fresh:
            mark(f, f"not verified: base migration {bad.path} fails on {engine}")
        return findings
    unproven: list[str] = []
    try:
        before = db.snapshot()
        for k, m in enumerate(fresh):
            failure = _step(db, m, before, where, findings)
            if failure == "up":
                # the migration itself does not apply: later ones cannot start
                entry["status"] = "failed"
                mark(m, f"up failed on {engine}: {findings[-1].message}")
                for later in fresh[k + 1:]:
                    unproven.append(later.path)
                    _unverified(findings, later, f"{m.path} fails to apply before it", mark)
                return findings
            if failure == "no down":
                entry["status"] = "partial" if entry["status"] == "passed" else entry["status"]
                unproven.append(m.path)
                _unverified(findings, m, _no_down(m), mark)
                before = db.snapshot()
                continue
            if failure:
                entry["status"] = "failed"
                entry["differences"] += [d if d.startswith(m.path + ":") else f"{m.path}: {d}"
                                         for d in failure[1]]
                mark(m, f"up, down, up on {engine}: {failure[0]}")
                # the database's state is unknown: start the next step on a new one
                db.close()
                db, bad, exc = open_db(k + 1)
                if db is None:
                    for later in fresh[k + 1:]:
                        unproven.append(later.path)
                        _unverified(findings, later, f"the database could not be rebuilt "
                                    f"({bad.path}: {exc.error})", mark)
                    return findings
            else:
                mark(m, f"up, down, up on {engine}: rollback restores the schema before it")
            before = db.snapshot()
        if unproven:
            entry["differences"].append("not verified: " + ", ".join(unproven))
        return findings
    finally:
        if db is not None:
            db.close()


def _no_down(m: Migration) -> str:
    """Why a migration guard applies itself has no down step to prove."""
    notes = " (its -- rollback: notes are for people, not run)" if m.rollback_notes else ""
    if m.framework in ("prisma", "drizzle"):
        down = (f"{m.path.rsplit('/', 1)[0]}/down.sql" if m.framework == "prisma"
                else f"{m.path[:-4]}.down.sql")
        return (f"{m.framework.capitalize()} migrations are forward-only and it has no "
                f"{down} next to it{notes}")
    if m.style == "flyway-repeatable":
        return "Flyway has no undo for a repeatable migration (R__), it re-applies it"
    if m.down_state == "empty":
        return f"its down step is empty (no down step){notes}"
    return f"it has no down step{notes}"


def _unverified(findings, m: Migration, why: str, mark) -> None:
    findings.append(Finding(
        "MIG034", "migrations", "warning",
        f"{m.path}: rollback not verified: {why}",
        "write the down step (or fix the earlier migration) and run "
        "guard check --verify-migrations again", m.path))
    mark(m, f"not verified: {why}")


def _step(db, m: Migration, before: dict, where: str, findings: list):
    """up, down, up of one migration on a database at the state `before`. Returns None when
    proven, "up" when it does not apply, "no down", or (summary, differences) on failure."""
    def apply(stmts, phase: str, rule: str) -> bool:
        try:
            db.apply(stmts)
            return True
        except StepFailed as exc:
            line = exc.stmt.line if exc.stmt else None
            path = exc.stmt.path if exc.stmt else m.path
            findings.append(_fail(rule, f"{path}: {phase} failed on {where}: {exc.error}",
                                  "fix the statement; run it locally against a copy of the "
                                  "schema before it", path, line))
            return False

    if not apply(m.up or [], "up", "MIG031"):
        return "up"
    after = db.snapshot()
    if not m.down:
        return "no down"
    if not apply(m.down, "down", "MIG031"):
        return ("down failed", [findings[-1].message])
    lost = diff(before, db.snapshot())
    if lost:
        findings.append(_fail(
            "MIG030", f"after up and down of {m.path} on {where}, the schema differs from "
            f"the one before it: {'; '.join(lost[:8])}"
            + (f" (and {len(lost) - 8} more)" if len(lost) > 8 else ""),
            "make the down step undo everything its up step created or changed",
            m.down_path or m.path))
    if not apply(m.up or [], "second up", "MIG032"):
        return ("rollback does NOT restore the schema before it" if lost
                else "second up failed", lost + [findings[-1].message])
    again = diff(after, db.snapshot())
    if again:
        findings.append(_fail(
            "MIG032", f"applying {m.path} again after its rollback gave a different schema "
            f"on {where}: {'; '.join(again[:8])}",
            "make the down step undo everything the up step did", m.path))
    if lost or again:
        return ("rollback does NOT restore the schema before it" if lost
                else "second up differs", lost + again)
    return None
