"""What the agent's Stop hook pays before it decides anything (issue 17): the checks'
regular expressions are compiled on first use (guard.lazyre), PyYAML's import-time patterns
too, and the conventions check is not imported when no change leaves a file for it to read.
Structural, not timed: a fresh interpreter answers a real Stop event on a real repository,
then reports which modules it imported and which patterns it compiled."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from gitrepo import backend_project, git_env

from guard import engine, git as gitmod, lazyre, registry
from guard.agent import stop
from guard.report import render

# the modules whose patterns the Stop hook imports; none may hold a compiled pattern at
# module level (a `re.compile` there is paid by every stop, matched or not)
LAZY_MODULES = ("guard.checks.conventions", "guard.checks.commits", "guard.commitmsg",
                "guard.agent", "guard.checks.boundary", "guard.checks.contract_spec")

PROBE = r"""
import json, re, sys
from guard.agent import claude
code = claude.main(role=None)
from guard import lazyre
import yaml.reader

def patterns(value):
    if isinstance(value, (re.Pattern, lazyre.Pattern)):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from patterns(item)

found = {}
for name, module in list(sys.modules.items()):
    if module is None or not name.startswith(tuple(sys.argv[1:])):
        continue
    for attr, value in vars(module).items():
        for p in patterns(value):
            kind = "compiled" if isinstance(p, re.Pattern) else \
                ("used" if p._compiled is not None else "lazy")
            found[f"{name}.{attr}"] = kind
# guard's own modules that define a dataclass (pathspec, which a policy of globs needs, has
# its own)
dataclass_users = sorted(
    name for name, module in list(sys.modules.items())
    if name.startswith("guard") and module is not None and any(
        hasattr(value, "__dataclass_fields__") for value in vars(module).values()))
# NamedTuple fields of guard's annotated with a string (`from __future__ import annotations`,
# or a quoted forward reference): typing compiles each into a ForwardRef
import typing
string_namedtuples = sorted(
    f"{name}.{value.__name__}.{field}" for name, module in list(sys.modules.items())
    if name.startswith("guard") and module is not None
    for value in vars(module).values()
    if isinstance(value, type) and issubclass(value, tuple) and hasattr(value, "_fields")
    and value.__module__ == name
    for field, kind in getattr(value, "__annotations__", {}).items()
    if isinstance(kind, typing.ForwardRef))
print(json.dumps({"code": code, "modules": sorted(sys.modules), "patterns": found,
                  "dataclass_users": dataclass_users, "string_namedtuples": string_namedtuples,
                  "yaml_reader": type(yaml.reader.Reader.NON_PRINTABLE).__name__}))
"""


def stop_in_fresh_interpreter(repo) -> dict:
    event = {"session_id": "t", "transcript_path": "/tmp/t.jsonl", "cwd": repo.path,
             "permission_mode": "default", "hook_event_name": "Stop",
             "stop_hook_active": False}
    proc = subprocess.run([sys.executable, "-c", PROBE, *LAZY_MODULES], cwd=repo.path,
                          env=git_env(), input=json.dumps(event), capture_output=True,
                          text=True, check=False)
    assert proc.stdout, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["stderr"] = proc.stderr
    return out


def test_lazy_pattern_compiles_once_then_calls_the_compiled_methods():
    p = lazyre.Pattern(r"(?P<word>b+)", re.I)
    assert p._compiled is None and p.pattern == r"(?P<word>b+)"
    assert p.search("aBBc").group("word") == "BB"
    compiled = p.compiled()
    assert compiled is re.compile(r"(?P<word>b+)", re.I)       # (re's cache: the same)
    assert p.search.__self__ is compiled and p.sub.__self__ is compiled
    assert p.groupindex == {"word": 1}
    assert [m.span() for m in p.finditer("b ab")] == [(0, 1), (3, 4)]


def test_deferred_makes_only_the_named_package_lazy():
    with lazyre.deferred("fakepkg"):
        inside = {"__name__": "fakepkg.reader"}
        exec("import re\nP = re.compile('x+')", inside)
        other = {"__name__": "fakepkgs"}
        exec("import re\nP = re.compile('y+')", other)
    assert isinstance(inside["P"], lazyre.Pattern) and inside["P"].match("xx")
    assert isinstance(other["P"], re.Pattern)
    assert re.compile("z") is re.compile("z") and isinstance(re.compile("z"), re.Pattern)


def test_stop_compiles_no_pattern_its_change_does_not_reach(tmp_path):
    """A branch that edits a document and commits it: the conventions check reads the file
    (no secret word, no code) and compiles nothing; the commits check compiles only what a
    conventional header asks. Nothing at module level is compiled at import."""
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("docs(api): explain the setup", {"src/api/NOTES.md": "# api\n\nrun it\n"})
    out = stop_in_fresh_interpreter(repo)
    assert out["code"] == 0, out["stderr"]
    assert "guard.checks.conventions" in out["modules"]
    patterns = out["patterns"]
    assert len(patterns) > 40, patterns                 # the probe sees the checks' patterns
    assert [name for name, kind in patterns.items() if kind == "compiled"] == []
    used = sorted(name for name, kind in patterns.items() if kind == "used")
    assert [n for n in used if not n.startswith("guard.checks.commits.")] == [], used
    assert len(used) <= 8, used
    for module in ("guard.checks.conventions.secrets", "guard.checks.conventions.topology",
                   "guard.checks.conventions.tenancy", "guard.checks.conventions.jstoken"):
        assert not any(n.startswith(module + ".") for n in used)
    assert out["yaml_reader"] == "Pattern"              # PyYAML's reader pattern: unused
    # git's background output goes to O_TMPFILE files without tempfile (and shutil, random)
    assert not {"tempfile", "shutil", "random"} & set(out["modules"])
    # no dataclass of guard's on the way (the Report and the migrations' Migration are plain
    # types): the dataclasses module brings inspect, dis and tokenize, ~12 ms a stop, which
    # a policy of plain paths (tests below) does not pay at all
    assert out["dataclass_users"] == [], out["dataclass_users"]
    # NamedTuple classes with real annotations: typing compiles a string annotation into a
    # ForwardRef (the first compile of a run alone ~10 M instructions; ~19 M in all over
    # the ~330 fields a Stop's modules declare)
    assert out["string_namedtuples"] == [], out["string_namedtuples"]


def test_stop_without_a_file_to_read_does_not_import_the_conventions_check(tmp_path,
                                                                            monkeypatch):
    """A branch that only deletes a file: no rule of the conventions check has a file to
    read, so the Stop hook does not import it, and answers what the full check answers."""
    repo = backend_project(str(tmp_path / "p"))
    repo.git("rm", "-q", "src/server/app.py")
    repo.commit("refactor: drop the unused app module")
    out = stop_in_fresh_interpreter(repo)
    assert out["code"] == 0, out["stderr"]
    assert not any(m == "guard.checks.conventions" or m.startswith("guard.checks.conventions.")
                   for m in out["modules"]), out["modules"]
    assert "guard.checks.commits" in out["modules"]
    # in this process: with the check run after all, the same findings and the same answer
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    for key, value in repo.env.items():
        monkeypatch.setenv(key, value)
    scan = gitmod.start_status(repo.path)
    try:
        ctx, checks = stop.worktree_context(repo.path, scan, None, None)
    finally:
        scan.close()
    assert "conventions" not in checks and "conventions" in registry.STOP_CHECKS
    full = [c for c in registry.STOP_CHECKS if c in registry.CHECKS]
    hook = engine.run(ctx, checks, fail_on="error", with_commits=False)
    every = engine.run(ctx, full, fail_on="error", with_commits=False)
    assert hook.findings == every.findings
    assert render("agent", hook, limit=1000) == render("agent", every, limit=1000)
    # the same branch plus a file for it to read: imported, and it runs
    repo.commit("feat(api): serve", {"src/server/main.py": "import os\nPORT = 8000\n"})
    out = stop_in_fresh_interpreter(repo)
    assert "guard.checks.conventions" in out["modules"], out["stderr"]


def test_prefetched_blobs_answer_what_git_answers(tmp_path):
    """read_blobs after prefetch_blobs: the prefetched ids from the background read, the
    others from git, missing ones (and id 0) absent, as one plain read gives them."""
    repo = backend_project(str(tmp_path / "p"))
    ids = [repo.git("rev-parse", f"HEAD:{p}").strip() for p in ("README.md", "src/server/app.py")]
    missing, zero = "1" * 40, gitmod.ZERO_SHA
    ask = [ids[0], ids[1], missing, zero]
    plain = gitmod.Git(repo.path).read_blobs(ask)
    assert plain == {ids[0]: b"# project\n", ids[1]: b"app = None\n"}
    fetched = gitmod.Git(repo.path)
    fetched.prefetch_blobs([ids[0], missing, zero])
    assert fetched.read_blobs(ask) == plain
    assert fetched.read_blobs([ids[0], missing]) == {ids[0]: b"# project\n"}


def test_plain_migration_and_report_keep_the_dataclass_behaviour(tmp_path):
    """Migration and Report left dataclasses (see above): a Migration still gets its own
    lists, compares by its fields (a parser's own note, such as Django's state_calls, left
    out) and is unhashable; a Report is immutable and derived with _replace."""
    from guard.checks.migrations.model import Migration

    a = Migration("sql", "1_a", "m/1_a.sql", ("m/1_a.sql",), (1,), "1")
    b = Migration("sql", "1_a", "m/1_a.sql", ("m/1_a.sql",), (1,), "1", down_state="none")
    b.state_calls = 3
    assert a == b and a.ops is not b.ops and a.problems == [] and a.down is None
    a.problems.append(("MIG011", None, "m", "h"))
    assert a != b and b.problems == []
    assert repr(b).startswith("Migration(framework='sql', key='1_a', ")
    assert "state_calls" not in repr(b)
    try:
        hash(a)
    except TypeError:
        pass
    else:
        raise AssertionError("a Migration is mutable: it must not be hashable")
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("docs(api): notes", {"src/api/NOTES.md": "# api\n"})
    from guard import context
    ctx = context.build(context.Options(repo=repo.path, base="main"), repo.env)
    report = engine.run(ctx, ["policy", "scope"], fail_on="error")
    assert report.facts is not engine.run(ctx, ["policy", "scope"], fail_on="error").facts
    later = report._replace(notes=("x",))
    assert later.notes == ("x",) and later.findings == report.findings and report.notes == ()
    try:
        report.notes = ("y",)
    except AttributeError:
        pass
    else:
        raise AssertionError("a Report is immutable")


def test_stop_on_the_built_in_packs_imports_no_dataclasses(tmp_path):
    """With the built-in role packs alone (plain paths and one-segment globs, decided
    without pathspec), a Stop imports neither dataclasses nor what it brings."""
    repo = backend_project(str(tmp_path / "p"), config="guard:\n  role: backend\n")
    repo.commit("feat(api): orders", {"src/api/orders.py": "import os\nPORT = 8000\n"})
    out = stop_in_fresh_interpreter(repo)
    assert out["code"] == 0, out["stderr"]
    assert "guard.checks.migrations" in out["modules"] and "pathspec" not in out["modules"]
    assert not {"dataclasses", "inspect", "tokenize", "dis"} & set(out["modules"])
