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


def _resolve(command: str) -> str:
    """A bare command name (alembic) as the one installed next to the Python running guard,
    as manage.py runs on that Python, else as PATH finds it: guard in a virtual environment
    that is not activated still runs the project's tool from it."""
    if os.sep in command:
        return command
    here = os.path.join(os.path.dirname(sys.executable), command)
    return here if os.access(here, os.X_OK) and not os.path.isdir(here) else command


def _alembic() -> str:
    return _resolve("alembic")


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
        up = [[_alembic(), "upgrade", "head"]]
        down = [[_alembic(), "downgrade", target]] if target else []
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
    return [part.replace("{base}", base).replace("{app}", app).replace("{target}", base)
            for part in command]


def _topo(fresh) -> list:
    """The new migrations parents first (ties by path), as the tool applies them."""
    left = sorted(fresh, key=lambda m: m.path)
    keys = {m.key for m in left}
    done: set[str] = set()
    out = []
    while left:
        ready = [m for m in left if all(p in done or p not in keys for p in m.parents)]
        ready = ready or left[:1]           # a cycle: history.py reports it
        out.append(ready[0])
        done.add(ready[0].key)
        left.remove(ready[0])
    return out


def _steps(mset, m, settings) -> tuple[list | None, list | None, str]:
    """(up to m, down to the migration before m, why not) for one stepwise round trip."""
    if mset.framework == "alembic":
        if len(m.parents) > 1:
            return None, None, "it is a merge revision (several parents)"
        target, before = m.key, (m.parents[0] if m.parents else "base")
        up, down = [_alembic(), "upgrade", target], [_alembic(), "downgrade", before]
    else:
        same = [p.split(".", 1)[1] for p in m.parents if p.split(".", 1)[0] == m.app]
        if len(same) > 1:
            return None, None, "it depends on several migrations of its own app"
        target, before = m.key.split(".", 1)[-1], (same[0] if same else "zero")
        up = [sys.executable, "manage.py", "migrate", m.app, target, "--noinput"]
        down = [sys.executable, "manage.py", "migrate", m.app, before, "--noinput"]
    if settings.up_command:
        up = [p.replace("{target}", target).replace("{base}", before).replace("{app}", m.app)
              for p in settings.up_command]
    if settings.down_command:
        down = [p.replace("{target}", target).replace("{base}", before)
                .replace("{app}", m.app) for p in settings.down_command]
    return up, down, ""


def stepwise(settings, mset, fresh) -> bool:
    """Whether the round trip can go migration by migration: the usual tool, or commands
    that take the {target} revision."""
    return not settings.up_command or "{target}" in " ".join(settings.up_command)


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
    if not down and not stepwise(settings, mset, fresh):
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
    where = f"a throwaway {'PostgreSQL' if url else 'SQLite'} database"
    cur = [db]          # the database in use: a failed step replaces it with a new one
    base_dir, head_dir = os.path.join(tmp, "base"), os.path.join(tmp, "head")

    def run(commands, tree: str, phase: str, rule: str, path: str | None = None,
            quiet: list | None = None) -> bool:
        """Run the commands in `tree`; a failure is a `rule` finding on `path` (or, with
        `quiet`, only a message appended to it)."""
        env[settings.url_env] = cur[0].url
        for argv in commands:
            folder = os.path.join(tree, cwd) if cwd else tree
            try:
                proc = subprocess.run([_resolve(argv[0]), *argv[1:]], cwd=folder, env=env, capture_output=True,
                                      text=True, timeout=TIMEOUT)
            except FileNotFoundError:
                if quiet is not None:
                    quiet.append(f"`{argv[0]}` is not installed or not on PATH")
                    return False
                findings.append(_fail("MIG033", f"{phase}: `{argv[0]}` is not installed or "
                                      "not on PATH", "install the project's migration tool "
                                      "next to guard, or set guard.migrations.commands",
                                      path or fresh[0].path))
                entry["status"] = "not run"
                return False
            except subprocess.TimeoutExpired:
                message = f"{phase}: `{' '.join(argv)}` ran longer than {TIMEOUT} s"
                hint = "run it by hand to see why"
            else:
                if proc.returncode == 0:
                    continue
                message = (f"{phase} failed on {where}: `{' '.join(argv)}` exited "
                           f"{proc.returncode}: {_last_line(proc.stderr or proc.stdout)}")
                hint = "run the command by hand against a copy of the base schema"
            if quiet is not None:
                quiet.append(message)
                return False
            findings.append(_fail(rule, message, hint, path or fresh[0].path))
            entry["status"] = "failed"
            return False
        return True

    def rebuild(done) -> str | None:
        """A new database at the base plus the new migrations `done`; None, or why not."""
        cur[0].close()
        try:
            cur[0] = _Db(url)
        except verify.StepFailed as exc:
            cur[0] = None
            return exc.error
        why: list[str] = []
        if not run(up, base_dir, "up on the base", "", quiet=why):
            return why[0]
        for m in done:
            argv = _steps(mset, m, settings)[0] or _steps_up_only(mset, m, settings)
            if not run([argv], head_dir, f"up of {m.path}", "", quiet=why):
                return why[0]
        return None

    try:
        ctx.git.export_tree(ctx.merge_base, base_dir)
        ctx.git.export_tree(ctx.head, head_dir)
        if not run(up, base_dir, "up on the base", "MIG033"):
            return findings
        s0 = cur[0].snapshot()
        if stepwise(settings, mset, fresh):
            _each(fresh, settings, mset, s0, cur,
                  lambda argv, phase, rule, path: run([argv], head_dir, phase, rule, path),
                  rebuild, findings, entry, mark, where)
            return findings
        for m in fresh:
            _not_proven(findings, m, f"guard.migrations.commands.up has no {{target}}: the "
                        "new migrations were checked together, not one by one", mark)
        if not run(up, head_dir, "up", "MIG031"):
            return findings
        s1 = cur[0].snapshot()
        if not run(down, head_dir, "down", "MIG031"):
            return findings
        s2 = cur[0].snapshot()
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
        again = verify.diff(s1, cur[0].snapshot())
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
        if cur[0] is not None:
            cur[0].close()


def _last_line(output: str) -> str:
    """The line of a failed command's output that says what went wrong: its last one, less
    SQLAlchemy's "(Background on this error at: ...)" pointer."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()
             and not line.strip().startswith("(Background on this error at:")]
    return lines[-1][:300] if lines else "no output"


def _not_proven(findings, m, why: str, mark) -> None:
    findings.append(Finding("MIG034", "migrations", "warning",
                            f"{m.path}: rollback not verified: {why}",
                            "write the down step (or fix the earlier migration) and run "
                            "guard check --verify-migrations again", m.path))
    mark(m, f"not verified: {why}")


def _no_down(mset, m) -> str:
    """Why the migration has no down step to prove, or ""."""
    if mset.framework == "alembic" and m.down_state == "none":
        return "it has no downgrade()"
    if mset.framework == "alembic" and m.down_state == "empty":
        return "its downgrade() is empty (no down step)"
    if mset.framework == "django" and m.down_state == "none":
        return "an operation has no reverse, so Django cannot unapply it (no down step)"
    return ""


def _each(fresh, settings, mset, before, cur, run, rebuild, findings, entry, mark,
          where) -> None:
    """Up, down, up of each new migration in turn, through the project's tool, each on a
    database at the migration before it. One without a down step is applied and named
    (MIG034); after a failed step the database is rebuilt, so later ones are still proven."""
    order = _topo(fresh)
    for k, m in enumerate(order):
        up, down, why = _steps(mset, m, settings)
        why = why or _no_down(mset, m)
        if why:
            _not_proven(findings, m, why, mark)
            if entry["status"] == "passed":
                entry["status"] = "partial"
            if not run(up or _steps_up_only(mset, m, settings), f"up of {m.path}", "MIG031",
                       m.path):
                break
            before = cur[0].snapshot()
            continue
        if not run(up, f"up of {m.path}", "MIG031", m.path):
            break
        after = cur[0].snapshot()
        shown = " ".join(a for a in [os.path.basename(down[0]), *down[1:]]
                         if a not in (os.path.basename(sys.executable), "manage.py",
                                      "--noinput"))
        ok = run(down, f"down of {m.path} ({shown})", "MIG031", m.path)
        def differs(expected, rule: str, what: str) -> list[str]:
            found = verify.diff(expected, cur[0].snapshot())
            if found:
                entry["status"] = "failed"
                entry["differences"] += [f"{m.path}: {d}" for d in found]
                findings.append(_fail(rule, f"{what}: {'; '.join(found[:8])}",
                                      "make the migration's reverse undo everything it did",
                                      m.path))
            return found

        lost: list[str] = []
        again: list[str] = []
        if ok:
            lost = differs(before, "MIG030", f"after up and down of {m.path} on {where}, "
                           "the schema differs from the one before it")
            ok = run(up, f"second up of {m.path}", "MIG032", m.path)
        if ok:
            again = differs(after, "MIG032", f"upgrading {m.path} again after its rollback "
                            "gave a different schema")
        verdict = ("rollback restores the schema before it" if ok and not (lost or again)
                   else "rollback does NOT restore the schema before it: "
                   + "; ".join((lost + again)[:3]) if lost or again
                   else f"the round trip failed: {findings[-1].message}")
        mark(m, f"up, down ({shown}), up on {cur[0].engine} through the project's tool: "
                f"{verdict}")
        if not ok and k + 1 < len(order):
            # the database's state is unknown: the next migration starts on a new one
            problem = rebuild(order[:k + 1])
            if problem:
                for later in order[k + 1:]:
                    _not_proven(findings, later, f"the database could not be rebuilt after "
                                f"{m.path} failed ({problem})", mark)
                return
        before = cur[0].snapshot()
    else:
        return
    # a migration did not apply: the later ones cannot start
    for later in order[k + 1:]:
        _not_proven(findings, later, f"{order[k].path} fails to apply before it", mark)


def _steps_up_only(mset, m, settings):
    if mset.framework == "alembic":
        return [_alembic(), "upgrade", m.key]
    return [sys.executable, "manage.py", "migrate", m.app, m.key.split(".", 1)[-1],
            "--noinput"]
