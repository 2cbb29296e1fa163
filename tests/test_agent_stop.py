"""The Stop hook's one-scan path (guard.agent.stop) answers what the three-scan worktree
context (`context.build(Options(worktree=True))`, what the hook ran before) answers: the same
changes, the same uncommitted-work listing, the same findings. Real repositories, real git."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from gitrepo import backend_project, git_env, run_guard

from guard import context, engine, git as gitmod, registry
from guard.agent import stop
from guard.checks.migrations import detect
from guard.report import render

BASE_FILES = {
    "migrations/000001_init.up.sql": "CREATE TABLE orders (id int);\n",
    "migrations/000001_init.down.sql": "DROP TABLE orders;\n",
    "migrations/000002_items.up.sql": "CREATE TABLE items (id int);\n",
    "migrations/000002_items.down.sql": "DROP TABLE items;\n",
    "src/server/settings.py": "DEBUG = False\n",
    "src/server/old_name.py": "def handler():\n    return 'a fairly long body' * 3\n",
    "src/server/gone.py": "x = 1\n",
    "src/models/order.py": "class Order:\n    pass\n",
    "src/api/notes.py": "NOTE = 'base'\n",
    "docs/guide.md": "# guide\n",
    ".env.example": "API_PORT=8000  # the API\n",
}


def project(tmp_path, name="p"):
    """main: a policy, two applied migrations, server code. The agent branch then commits a
    new migration (no rollback), an edit of an applied one, a hard-coded port, a rename and
    a deletion."""
    repo = backend_project(str(tmp_path / name), extra=BASE_FILES)
    repo.commit("feat(db): add the audit migration", {
        "migrations/000003_audit.up.sql": "DROP TABLE items;\n"})
    repo.commit("fix(db): tweak the first migration", {
        "migrations/000001_init.up.sql": "CREATE TABLE orders (id bigint);\n"})
    repo.commit("feat(api): serve on a port", {
        "src/server/main.py": "import uvicorn\n\n\ndef serve():\n"
                              "    uvicorn.run('app', port=8000)\n"})
    repo.git("mv", "src/server/old_name.py", "src/server/new_name.py")
    repo.git("rm", "-q", "src/server/gone.py")
    repo.commit("refactor(api): rename the handler module")
    repo.commit("feat(api): an oddly named module", {"src/api/new\nline.py": "Z = 1\n"})
    return repo


def messy(repo):
    """Work an agent leaves behind: staged, modified, untracked, a staged rename, odd names."""
    repo.write("src/api/staged.py", "STAGED = True\n")
    repo.git("add", "src/api/staged.py")                                   # staged add
    repo.write("src/server/settings.py", "DEBUG = True\n")
    repo.git("add", "src/server/settings.py")                              # staged edit
    repo.write("src/server/settings.py", "DEBUG = 'maybe'\n")              # ... edited again
    repo.write("src/server/new_name.py", "def handler():\n    return 'a fairly long body'"
               " * 4\n")                                  # the file the branch renamed, again
    repo.write("src/api/notes.py", "NOTE = 'edited'\n")                    # untouched file
    repo.git("mv", "docs/guide.md", "docs/handbook.md")                     # staged rename
    repo.write("src/components/Button.tsx", "export const B = 1\n")      # forbidden, modified
    repo.write("scripts/new tool/run me.sh", "echo hi\n")          # untracked folder, spaces
    repo.write("src/api/ünïcode.py", "X = 1\n")                          # untracked, unicode
    repo.write(b"src/api/latin1-\xe9.py", "Y = 1\n")                  # untracked, not UTF-8
    repo.write("src/api/new\nline.py", "Z = 2\n")          # committed on the branch, edited
    repo.write("migrations/000004_next.up.sql", "ALTER TABLE orders ADD note text;\n")
    repo.write("build/out.txt", "ignored\n")
    repo.write(".gitignore", "build/\n")                                   # untracked itself
    os.remove(os.path.join(repo.path, "src/models/order.py"))             # deleted, unstaged


def reference(repo, **options):
    """The three-scan path: context.build in worktree mode and the stop checks."""
    ctx = context.build(context.Options(repo=repo.path, base="main", worktree=True,
                                        **options), dict(repo.env))
    checks = [c for c in registry.STOP_CHECKS if c in registry.CHECKS]
    return ctx, engine.run(ctx, checks, fail_on="error", with_commits=False)


def one_scan(repo, monkeypatch, agent_type=None, env=None):
    """The Stop hook's path, in this process (with the test's git environment)."""
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    for key, value in {**repo.env, **(env or {})}.items():
        monkeypatch.setenv(key, value)
    scan = gitmod.start_status(repo.path)
    try:
        ctx, checks = stop.worktree_context(repo.path, scan, None, agent_type)
        return ctx, engine.run(ctx, checks, fail_on="error", with_commits=False)
    finally:
        scan.close()


def tracked_way(ctx) -> str:
    """Which of the one-scan path's ways applies to this repository now."""
    status = gitmod.parse_status_v2(gitmod.start_status(ctx.root).collect().stdout)
    on_branch = ctx.git.diff(ctx.merge_base, ctx.head)
    if not status.entries:
        return "branch diff"
    ordered = ctx.git.run(["config", "--get", "diff.orderFile"], check=False).returncode == 1
    if stop._edits_only(on_branch, status) is not None and ordered:
        return "edits only"
    return "limited diff"


def findings(report):
    return [(f.rule, f.severity, f.path, f.line, f.message, f.hint) for f in report.findings]


def assert_same(repo, monkeypatch, way: str | None = None):
    ref_ctx, ref = reference(repo)
    fast_ctx, fast = one_scan(repo, monkeypatch)
    if way is not None:
        assert tracked_way(fast_ctx) == way
    assert fast_ctx.changes == ref_ctx.changes
    assert fast_ctx.git.status_porcelain() == gitmod.Git(repo.path).status_porcelain()
    assert findings(fast) == findings(ref)
    assert render("agent", fast, limit=1000) == render("agent", ref, limit=1000)
    assert fast.facts == ref.facts
    # the migrations check's tree listings, worked out from the index and the branch's
    # diff: every file git's own listing has (same object), nothing the tree lacks
    plain = gitmod.Git(repo.path)
    for rev in (fast_ctx.head, fast_ctx.merge_base):
        derived = fast_ctx.git.tree_blobs(rev, (), detect.CANDIDATES)
        assert plain.tree_blobs(rev, (), detect.CANDIDATES).items() <= derived.items() \
            <= plain.tree_blobs(rev).items()
    return fast


def test_same_findings_as_the_three_scan_path(tmp_path, monkeypatch):
    repo = project(tmp_path)
    messy(repo)
    fast = assert_same(repo, monkeypatch)
    rules = {f.rule for f in fast.findings}
    # the case covers each check the hook runs, and each kind of uncommitted work
    assert {"COMMIT012", "SCOPE001", "CONV001", "MIG001", "MIG008"} <= rules, rules
    uncommitted = next(f for f in fast.findings if f.rule == "COMMIT012")
    assert "modified, " in uncommitted.message and "staged, " in uncommitted.message
    assert {"scripts/new tool/run me.sh", "src/api/ünïcode.py", "docs/handbook.md",
            "src/models/order.py"} <= set(dict(uncommitted.data)["paths"])


def test_same_answer_clean_tree_edits_only_and_staged(tmp_path, monkeypatch):
    """The three ways the one-scan path gets the tracked changes: the branch's diff alone
    (clean tree), the branch's diff plus unstaged edits of other files, git's diff limited
    to the named paths (anything else)."""
    repo = project(tmp_path)
    assert_same(repo, monkeypatch, "branch diff")                        # clean
    repo.write("src/api/notes.py", "NOTE = 'edited'\n")
    os.chmod(repo.write("src/server/settings.py", "DEBUG = 1\n"), 0o755)
    repo.write("docs/guide.md", "# guide, edited\n")
    assert_same(repo, monkeypatch, "edits only")
    repo.write("src/server/main.py", "PORT = 1\n")
    assert_same(repo, monkeypatch, "limited diff")                       # a branch file
    repo.git("checkout", "-q", "--", "src/server/main.py")
    repo.git("add", "src/api/notes.py")
    assert_same(repo, monkeypatch, "limited diff")                       # staged
    repo.git("reset", "-q")
    os.remove(os.path.join(repo.path, "src/api/notes.py"))
    assert_same(repo, monkeypatch, "limited diff")                       # deleted
    repo.git("checkout", "-q", "--", "src/api/notes.py")
    with open(os.path.join(repo.path, ".git", "order"), "w", encoding="utf-8") as fh:
        fh.write("src/server/*\n")
    repo.git("config", "diff.orderFile", os.path.join(repo.path, ".git", "order"))
    assert_same(repo, monkeypatch, "limited diff")                       # git's own order


def test_same_answer_when_more_paths_than_a_command_line_names(tmp_path, monkeypatch):
    repo = project(tmp_path)
    for i in range(12):
        repo.write(f"src/api/many/m{i:02d}.py", f"N = {i}\n")
    repo.commit("feat(api): many modules")
    for i in range(12):
        repo.write(f"src/api/many/m{i:02d}.py", f"N = {i + 1}\n")
    repo.git("add", "src/api/many/m00.py")
    for i in range(7):
        repo.write(f"tools/t{i}/run.sh", "echo\n")         # seven wholly untracked folders
    monkeypatch.setattr(gitmod, "PATHSPEC_MAX", 5)
    assert_same(repo, monkeypatch)


def test_same_answer_with_untracked_folders_nested_repository_and_symlink(tmp_path,
                                                                           monkeypatch):
    repo = project(tmp_path)
    repo.write("tools/a/b/deep.py", "x = 1\n")
    repo.write("tools/a/c.py", "y = 2\n")
    repo.write("tools/a/.gitignore", "*.log\n")
    repo.write("tools/a/skip.log", "ignored\n")
    nested = os.path.join(repo.path, "vendor", "lib")
    os.makedirs(nested)
    subprocess.run(["git", "init", "-q", nested], check=True, env=repo.env)
    os.symlink("../src/components", os.path.join(repo.path, "src/api/ui"))
    assert_same(repo, monkeypatch)


def test_committed_file_touched_after_the_commit_is_still_checked(tmp_path, monkeypatch):
    """git's diff against the working tree names a modified file whose timestamp moved since
    the index recorded it with object 0 (content unknown); the three-scan path then skipped
    its content. The one-scan path takes the content status compared: the committed one."""
    repo = project(tmp_path)
    repo.commit("feat(api): the app listens", {
        "src/server/app.py": "import uvicorn\n\napp = None\nuvicorn.run(app, port=8080)\n"})
    repo.write("src/api/notes.py", "NOTE = 'edited'\n")     # not a clean tree
    repo.write("src/server/settings.py", "DEBUG = 1\n")
    repo.git("add", "src/server/settings.py")               # and not edits only
    app_py = os.path.join(repo.path, "src/server/app.py")
    later = os.stat(app_py).st_mtime + 100
    os.utime(app_py, (later, later))
    _ref_ctx, ref = reference(repo)
    _fast_ctx, fast = one_scan(repo, monkeypatch)
    port = ("CONV001", "src/server/app.py")
    assert port not in {(f.rule, f.path) for f in ref.findings}
    assert {(f.rule, f.path) for f in ref.findings} | {port} == \
        {(f.rule, f.path) for f in fast.findings}
    # and it is what the three-scan path answers once git's stat cache is fresh again
    repo.git("update-index", "-q", "--refresh")
    assert findings(reference(repo)[1]) == findings(fast)


def test_hook_through_the_command_line_blocks_with_every_check(tmp_path):
    repo = project(tmp_path)
    messy(repo)
    payload = {"session_id": "s", "transcript_path": "/tmp/t.jsonl", "cwd": repo.path,
               "permission_mode": "default", "hook_event_name": "Stop",
               "stop_hook_active": False}
    res = run_guard("hook", "claude", cwd=repo.path, input=json.dumps(payload))
    assert res.code == 2 and res.out == ""
    _ctx, ref = reference(repo)
    assert res.err == stop.INTRO + render("agent", ref, limit=20)
    # from a sub-folder, as SubagentStop
    payload.update(hook_event_name="SubagentStop", cwd=os.path.join(repo.path, "src"),
                   agent_type="engineering-backend")
    res = run_guard("hook", "claude", cwd=repo.path, input=json.dumps(payload))
    assert res.code == 2 and res.err == stop.INTRO + render("agent", ref, limit=20)


def test_stop_imports_nothing_heavy(tmp_path):
    """The Stop hook runs the static checks only: no contract tooling, no SQL parser when no
    migration is new, no command-line framework."""
    repo = backend_project(str(tmp_path / "p"), extra=BASE_FILES)
    repo.commit("feat(api): notes", {"src/api/notes.py": "NOTE = 'changed'\n"})
    repo.write("src/api/wip.py", "x = 1\n")
    payload = json.dumps({"hook_event_name": "Stop", "cwd": repo.path,
                          "stop_hook_active": False})
    code = ("import sys\nfrom guard.console import main\nrc = main(['hook', 'claude'])\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('schemathesis', "
            "'hypothesis', 'openapi_spec_validator', 'sqlglot', 'click', 'junit_xml'))\n"
            "print('RC', rc, 'HEAVY', heavy, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True,
                          text=True, cwd=repo.path, env=git_env())
    assert proc.stderr.endswith("RC 2 HEAVY []\n"), proc.stderr
    assert "COMMIT012" in proc.stderr


def test_one_commit_branch_takes_its_paths_from_the_branch_diff(tmp_path, monkeypatch):
    """A branch of one commit on the base: the commits check's atomicity rule reads that
    commit's paths from the branch's diff (a rename's both ends), with no `git log
    --name-only`, and finds what the three-scan path finds with it."""
    repo = backend_project(str(tmp_path / "p"), extra=BASE_FILES)
    repo.git("mv", "src/server/old_name.py", "src/components/old_name.py")
    repo.commit("feat: a bit of everything", {"src/api/orders.py": "X = 1\n",
                                              "src/components/Button.tsx": "export {}\n",
                                              "src/models/order.py": "class Order: ...\n"})
    repo.write("src/api/notes.py", "NOTE = 'edited'\n")          # and uncommitted work
    ref_ctx, ref = reference(repo)
    trace = tmp_path / "trace.txt"
    fast_ctx, fast = one_scan(repo, monkeypatch, env={"GIT_TRACE": str(trace)})
    assert findings(fast) == findings(ref)
    atomicity = next(f for f in fast.findings if f.rule == "COMMIT011")
    assert "src/components/" in atomicity.message and "src/api/" in atomicity.message
    assert not [line for line in trace.read_text().splitlines()
                if " git log " in line and "--name-only" in line]
    assert fast_ctx.git.paths_per_commit(fast_ctx.range_spec) == \
        gitmod.Git(repo.path).paths_per_commit(fast_ctx.range_spec)
    # two commits: the log runs, and the answer is the same
    repo.git("reset", "-q", "--soft", "HEAD~1")
    repo.commit("feat(api): orders", {"src/api/orders.py": "X = 1\n"})
    repo.commit("feat: the rest")
    ref_ctx, ref = reference(repo)
    trace.write_text("")
    fast_ctx, fast = one_scan(repo, monkeypatch, env={"GIT_TRACE": str(trace)})
    assert findings(fast) == findings(ref)
    assert [line for line in trace.read_text().splitlines()
            if " git log " in line and "--name-only" in line]
