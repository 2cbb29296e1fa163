"""Round trip for Alembic and Django through the project's own tool.

guard writes the base and the head commits into temp folders (git archive), creates the
throwaway database, and runs the project's commands there with the database's URL in the
environment variable the project reads (guard.migrations.commands.env, default DATABASE_URL):
up on the base; up on the head; down to the base's revision; up again. Running the branch's
migrations is the purpose of --verify-migrations, so this is the one place guard executes
code from the branch; it never goes through a shell.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import urllib.parse

from guard.checks.migrations import verify
from guard.finding import Finding
from guard.fsutil import remove_tree

TIMEOUT = 300


def _fail(rule, message, hint, path, line=None) -> Finding:
    return Finding(rule, "migrations", "error", message, hint, path, line)


def _heads(migs) -> list[str]:
    parents = {p for m in migs for p in m.parents}
    return sorted({m.key for m in migs if m.key not in parents})


def _defaults(mset, base_migs, head_tree: set[str]) -> tuple[list, list, str | None]:
    """(up commands, down commands, cwd) for the framework's usual tool."""
    if mset.framework == "alembic":
        heads = _heads(base_migs)
        target = heads[0] if len(heads) == 1 else ("base" if not heads else None)
        ini = next((p for p in sorted(head_tree, key=len) if p.endswith("alembic.ini")), None)
        cwd = os.path.dirname(ini) if ini else ""
        up = [["alembic", "upgrade", "head"]]
        down = [["alembic", "downgrade", target]] if target else []
        return up, down, cwd
    manage = next((p for p in sorted(head_tree, key=len) if p.endswith("manage.py")), None)
    cwd = os.path.dirname(manage) if manage else ""
    app = mset.head[0].app if mset.head else ""
    base_leaves = [k.split(".", 1)[1] for k in _heads(base_migs)]
    target = base_leaves[0] if len(base_leaves) == 1 else ("zero" if not base_leaves else None)
    up = [[sys.executable, "manage.py", "migrate", "--noinput"]]
    down = [[sys.executable, "manage.py", "migrate", app, target, "--noinput"]] if target else []
    return up, down, cwd


def _custom(command: tuple[str, ...], base: str, app: str) -> list[str]:
    return [part.replace("{base}", base).replace("{app}", app) for part in command]


class _Db:
    """The throwaway database as a URL for the tool and a snapshot for guard."""

    def __init__(self, url: str | None):
        if url:
            self.inner = verify.PostgresDB(url)
            parts = urllib.parse.urlsplit(url)
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.inner.name))
            self.engine = "postgresql"
        else:
            self.inner = verify.SqliteDB()
            self.url = f"sqlite:///{self.inner.path}"
            self.engine = "sqlite"

    def snapshot(self):
        if self.engine == "sqlite":
            # the tool wrote through its own connection: read afresh
            self.inner.conn.close()
            import sqlite3
            self.inner.conn = sqlite3.connect(self.inner.path, isolation_level=None)
        return self.inner.snapshot()

    def close(self):
        self.inner.close()


def round_trip(ctx, settings, mset, base_migs, fresh, url, entry, mark) -> list[Finding]:
    findings: list[Finding] = []
    if ctx.mode == "staged":
        entry["status"] = "not run"
        return [_fail("MIG033", f"round trip of {mset.framework} migrations runs on commits, "
                      "not on the index", "commit, then run guard check --verify-migrations",
                      fresh[0].path)]
    head_files = set(ctx.git.tree_blobs(ctx.head))
    up, down, cwd = _defaults(mset, base_migs, head_files)
    base_target = (_heads(base_migs) or ["base"])[0]
    if mset.framework == "django":
        base_target = base_target.split(".", 1)[-1] if _heads(base_migs) else "zero"
    app = fresh[0].app
    if settings.up_command:
        up = [_custom(settings.up_command, base_target, app)]
    if settings.down_command:
        down = [_custom(settings.down_command, base_target, app)]
    if not down:
        entry["status"] = "not run"
        return [_fail("MIG033", f"cannot tell which {mset.framework} revision the base ends at "
                      "(several heads)", "set guard.migrations.commands.down with the "
                      "target, e.g. alembic downgrade <revision>", fresh[0].path)]
    try:
        db = _Db(url)
    except verify.StepFailed as exc:
        entry["status"] = "not run"
        return [_fail("MIG033", f"cannot verify migrations: {exc.error}",
                      "check guard.migrations.database_url and that the server is up",
                      fresh[0].path)]
    entry["engine"] = db.engine
    tmp = tempfile.mkdtemp(prefix="guard-verify-trees-")
    env = dict(os.environ)
    env[settings.url_env] = db.url
    where = f"a throwaway {'PostgreSQL' if url else 'SQLite'} database"

    def run(commands, tree: str, phase: str, rule: str) -> bool:
        for argv in commands:
            folder = os.path.join(tree, cwd) if cwd else tree
            try:
                proc = subprocess.run(argv, cwd=folder, env=env, capture_output=True,
                                      text=True, timeout=TIMEOUT)
            except FileNotFoundError:
                findings.append(_fail("MIG033", f"{phase}: `{argv[0]}` is not installed or "
                                      "not on PATH", "install the project's migration tool "
                                      "next to guard, or set guard.migrations.commands",
                                      fresh[0].path))
                entry["status"] = "not run"
                return False
            except subprocess.TimeoutExpired:
                findings.append(_fail(rule, f"{phase}: `{' '.join(argv)}` ran longer than "
                                      f"{TIMEOUT} s", "run it by hand to see why",
                                      fresh[0].path))
                entry["status"] = "failed"
                return False
            if proc.returncode != 0:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
                findings.append(_fail(rule, f"{phase} failed on {where}: `{' '.join(argv)}` "
                                      f"exited {proc.returncode}: {tail[0][:300]}",
                                      "run the command by hand against a copy of the base "
                                      "schema", fresh[0].path))
                entry["status"] = "failed"
                return False
        return True

    try:
        base_dir, head_dir = os.path.join(tmp, "base"), os.path.join(tmp, "head")
        ctx.git.export_tree(ctx.merge_base, base_dir)
        ctx.git.export_tree(ctx.head, head_dir)
        if not run(up, base_dir, "up on the base", "MIG033"):
            return findings
        s0 = db.snapshot()
        if not run(up, head_dir, "up", "MIG031"):
            return findings
        s1 = db.snapshot()
        if not run(down, head_dir, "down", "MIG031"):
            return findings
        s2 = db.snapshot()
        lost = verify.diff(s0, s2)
        if lost:
            entry["status"] = "failed"
            entry["differences"] = lost
            findings.append(_fail("MIG030", f"after up and down of "
                                  f"{', '.join(m.path for m in fresh)} on {where}, the schema "
                                  f"differs from the base: {'; '.join(lost[:8])}",
                                  "make downgrade undo everything upgrade did", fresh[-1].path))
        if not run(up, head_dir, "second up", "MIG032"):
            return findings
        again = verify.diff(s1, db.snapshot())
        if again:
            entry["status"] = "failed"
            entry["differences"] += again
            findings.append(_fail("MIG032", f"upgrading again after the rollback gave a "
                                  f"different schema: {'; '.join(again[:8])}",
                                  "make downgrade undo everything upgrade did", fresh[0].path))
        verdict = ("rollback restores the base schema" if not lost
                   else "rollback does NOT restore the base schema")
        for m in fresh:
            mark(m, f"up, down ({' '.join(down[0])}), up on {db.engine} through the project's "
                    f"tool: {verdict}")
        return findings
    finally:
        if entry["status"] == "failed":
            first = findings[0].message if findings else "see the findings"
            for m in fresh:
                mark(m, f"round trip failed: {first}", only_if_empty=True)
        remove_tree(tmp)       # (iterative: the exported trees may be any depth)
        db.close()
