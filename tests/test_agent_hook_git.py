"""What the Claude Code hooks ask git, on real repositories: the answers in the cases where
picking the base, the branch and the trusted policy is not simple (no default branch,
detached HEAD, tags named like branches, shallow clones, empty and missing repositories, a
CI target branch, origin/HEAD elsewhere, upstreams, project role files), and how many git
processes each hook path starts."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from gitrepo import BACKEND_CONFIG, Repo, backend_project, git_env, run_guard

from guard import context, engine, registry
from guard.agent import stop
from guard.report import render

NO_ROLE = "personas:\n  engineering_backend: Casey\n  engineering_frontend: Riley\n"
FRONTEND = "guard:\n  role: frontend\n"
SCOPE_LINE = ("src/components/Button.tsx is on the do-not-touch list for the Backend Engineer "
              "— Frontend Engineer's domain")


def stop_event(cwd: str, **more) -> str:
    return json.dumps({"hook_event_name": "Stop", "cwd": cwd, "stop_hook_active": False,
                       **more})


def edit_event(cwd: str, rel: str = "src/components/Button.tsx", **more) -> str:
    return json.dumps({"hook_event_name": "PreToolUse", "cwd": cwd, "tool_name": "Edit",
                       "tool_input": {"file_path": os.path.join(cwd, rel), "old_string": "a",
                                      "new_string": "b"}, **more})


def hook(cwd: str, payload: str, env: dict | None = None):
    return run_guard("hook", "claude", cwd=cwd, input=payload, env=env)


def expected_stop(repo: Repo, base: str, env: dict | None = None) -> tuple[int, str]:
    """(exit code, stderr) of the Stop hook when it answers what `guard check --base BASE`
    reports on the branch plus the working tree."""
    full = dict(repo.env)
    full.update(env or {})
    ctx = context.build(context.Options(repo=repo.path, base=base, worktree=True), full)
    checks = [c for c in registry.STOP_CHECKS if c in registry.CHECKS]
    report = engine.run(ctx, checks, fail_on="error", with_commits=False)
    if not report.failed:
        return 0, ""
    return 2, stop.INTRO + render("agent", report, limit=20)


def sha(repo: Repo, rev: str) -> str:
    return repo.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")


def blocked_by(res, label: str) -> bool:
    return res.code == 2 and f"policy from {label}):\n- {SCOPE_LINE}" in res.err


def project(tmp_path, name: str = "p", config: str | None = None) -> Repo:
    """main with the backend policy; the agent branch adds a frontend file (a SCOPE001 for
    the backend role) and leaves an untracked file."""
    repo = backend_project(str(tmp_path / name), **({"config": config} if config else {}))
    repo.commit("feat(ui): a button", {"src/components/B.tsx": "export {}\n"})
    repo.write("src/api/wip.py", "x = 1\n")
    return repo


def branch_off_main(repo: Repo, name: str, policy: str) -> str:
    """A branch `name` from main whose committed policy makes the role frontend (so a hook
    that takes its policy from there lets the agent's frontend edits pass)."""
    back = repo.git("symbolic-ref", "--short", "HEAD")
    repo.git("checkout", "-q", "-b", name, "main")
    repo.write("company.config.yaml", policy)
    repo.git("add", "company.config.yaml")              # (the untracked file stays so)
    tip = repo.commit(f"chore: {name} policy", add_all=False)
    repo.checkout(back)
    return tip


# -- the default branch, tags named like branches ------------------------------------------
def test_tag_named_like_the_default_branch_does_not_stand_in_for_it(tmp_path):
    """`main` is a branch and a tag. git's lookup reads the tag (refs/tags comes first), and
    an agent can create one (`git tag main <its commit>`): the hooks take the base and the
    trusted policy from the branch they found (refs/heads/main), and a `--base main` given
    by hand is refused as ambiguous, never read as the tag."""
    repo = project(tmp_path)
    main = sha(repo, "main")
    # the agent's own commit with a looser policy (the role becomes frontend), tagged `main`
    loose = repo.commit("chore: my policy", {"company.config.yaml": FRONTEND})
    repo.commit("feat(ui): more", {"src/components/Button.tsx": "mine\n"})
    repo.git("tag", "main", loose)
    assert sha(repo, "main") == loose != sha(repo, "refs/heads/main") == main
    res = hook(repo.path, stop_event(repo.path))
    assert res.code == 2 and f"· base main {main[:8]}, merge-base {main[:8]}" in res.err, res
    assert "POLICY001" in res.err and "SCOPE001" in res.err
    res = hook(repo.path, edit_event(repo.path))
    assert blocked_by(res, f"the default branch main {main[:8]}"), res
    res = run_guard("check", "--base", "main", cwd=repo.path)
    assert res.code == 2 and res.err.startswith("guard: error: 'main' is ambiguous"), res
    res = run_guard("check", "--base", "refs/heads/main", "--only", "scope,policy",
                    cwd=repo.path)
    assert res.code == 1 and "SCOPE001" in res.out, res


def test_tag_named_like_the_default_branch_that_names_no_commit_is_ignored(tmp_path):
    """A tag `main` naming a blob used to make the Stop hook answer "stop not checked" (and
    let the agent stop) and the PreToolUse hook fall back to the policy at HEAD: the hooks
    read the branch, so the tag changes nothing."""
    repo = project(tmp_path)
    repo.git("tag", "main", repo.git("rev-parse", "main:README.md"))      # a blob
    main = sha(repo, "refs/heads/main")
    res = hook(repo.path, stop_event(repo.path))
    assert res.code == 2 and f"· base main {main[:8]}" in res.err and "SCOPE001" in res.err, res
    res = hook(repo.path, edit_event(repo.path))
    assert blocked_by(res, f"the default branch main {main[:8]}"), res


def test_tag_named_like_the_checked_out_branch(tmp_path):
    """With a tag `agent/backend/task` beside the branch, git shortens the branch to
    `heads/agent/backend/task`. An agent could create that tag: both hooks, and `guard
    check`, still read the role from the branch's full name (backend), so the tag switches
    no check off (the Stop hook used to read the short name, find no role and let the agent
    stop unchecked; `--if-no-role skip` hooks skipped)."""
    repo = project(tmp_path, config=NO_ROLE)
    repo.git("tag", "agent/backend/task", "HEAD~1")
    assert repo.git("symbolic-ref", "--short", "HEAD") == "heads/agent/backend/task"
    res = hook(repo.path, stop_event(repo.path))
    assert res.code == 2 and "SCOPE001" in res.err, res
    from gitrepo import run_guard
    res = run_guard("check", "--base", "main", "--if-no-role", "skip", "--format", "json",
                    cwd=repo.path)
    assert res.code == 1 and '"role":"backend"' in res.out, res
    res = hook(repo.path, edit_event(repo.path))
    assert res.code == 2 and "(role backend, from branch name 'agent/backend/task'; " \
        f"policy from the default branch main {sha(repo, 'main')[:8]})" in res.err, res


def test_no_default_branch(tmp_path):
    repo = project(tmp_path)
    repo.git("branch", "-m", "main", "old-main")
    res = hook(repo.path, stop_event(repo.path))
    # a renamed (or deleted) base is a way past the Stop hook: it holds the stop, saying why
    assert res.code == 2 and res.out == "" and res.err.startswith(
        "guard: not done yet — the work could not be checked: cannot tell which branch this "
        "work started from — pass --base"), res
    res = hook(repo.path, edit_event(repo.path))
    assert blocked_by(res, f"HEAD {sha(repo, 'HEAD')[:8]} (no base branch found)"), res


def test_configured_default_branch_comes_first(tmp_path):
    repo = project(tmp_path)
    tip = branch_off_main(repo, "trunk2", FRONTEND)
    repo.git("config", "init.defaultBranch", "trunk2")
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "trunk2")
    assert f"· role frontend · base trunk2 {tip[:8]}," in res.err
    res = hook(repo.path, edit_event(repo.path))
    assert res.code == 0, res                      # the frontend may edit the button


def test_origin_head_pointing_elsewhere(tmp_path):
    repo = project(tmp_path)
    tip = branch_off_main(repo, "develop", FRONTEND)
    repo.git("update-ref", "refs/remotes/origin/develop", tip)
    repo.git("update-ref", "refs/remotes/origin/main", "main")
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/develop")
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "origin/develop")
    assert f"· base origin/develop {tip[:8]}," in res.err
    res = hook(repo.path, edit_event(repo.path))
    assert (res.code, res.err) == (0, "")    # develop's policy: the frontend owns the button
    # origin/HEAD pointing at a ref that does not exist is skipped: main (origin's branches
    # come before local ones, so origin/develop goes too: a local branch is the agent's to move)
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/gone")
    repo.git("update-ref", "-d", "refs/remotes/origin/main")
    repo.git("update-ref", "-d", "refs/remotes/origin/develop")
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "main")
    res = hook(repo.path, edit_event(repo.path))
    assert blocked_by(res, f"the default branch main {sha(repo, 'main')[:8]}"), res


# -- detached HEAD -------------------------------------------------------------------------
def test_detached_head(tmp_path):
    repo = project(tmp_path)
    repo.git("checkout", "-q", "--detach")
    repo.write("src/api/wip.py", "x = 1\n")
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "main")
    res = hook(repo.path, edit_event(repo.path))
    assert blocked_by(res, f"the default branch main {sha(repo, 'main')[:8]}"), res
    repo.git("branch", "-m", "main", "old-main")
    res = hook(repo.path, stop_event(repo.path))
    assert res.code == 2 and res.err.startswith(
        "guard: not done yet — the work could not be checked: HEAD is detached and no base "
        "branch can be found"), res
    res = hook(repo.path, edit_event(repo.path))
    assert blocked_by(res, f"HEAD {sha(repo, 'HEAD')[:8]} (no base branch found)"), res


# -- the branch's upstream -----------------------------------------------------------------
def _remote(repo: Repo) -> None:
    repo.git("config", "remote.origin.url", os.devnull)
    repo.git("config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*")


def test_upstream_with_another_name_is_the_stop_hooks_base(tmp_path):
    repo = project(tmp_path)
    tip = branch_off_main(repo, "release", FRONTEND)
    _remote(repo)
    repo.git("update-ref", "refs/remotes/origin/release", tip)
    repo.git("branch", "--set-upstream-to=origin/release")
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "origin/release")
    assert f"· role frontend · base origin/release {tip[:8]}," in res.err
    # PreToolUse holds writes to the branch the work merges into: the default branch
    res = hook(repo.path, edit_event(repo.path))
    assert blocked_by(res, f"the default branch main {sha(repo, 'main')[:8]}"), res
    # a local upstream
    repo.git("branch", "--set-upstream-to=release")
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "release")


def test_upstream_of_the_same_name_or_not_fetched_is_not_the_base(tmp_path):
    repo = project(tmp_path)
    _remote(repo)
    repo.git("update-ref", "refs/remotes/origin/agent/backend/task", "HEAD~1")
    repo.git("branch", "--set-upstream-to=origin/agent/backend/task")
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "main")
    # configured, but its remote-tracking branch was never fetched
    repo.git("config", "branch.agent/backend/task.merge", "refs/heads/release")
    assert repo.git("for-each-ref", "refs/remotes/origin/release") == ""
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "main")


# -- CI target branch ----------------------------------------------------------------------
@pytest.mark.parametrize("variables,base,origin", [
    ({"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "release"}, "origin/release",
     "GITHUB_BASE_REF"),
    ({"GITLAB_CI": "true", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "release"},
     "origin/release", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
    ({"GITLAB_CI": "true", "CI_DEFAULT_BRANCH": "release", "CI_COMMIT_BRANCH": "feature"},
     "origin/release", "CI_DEFAULT_BRANCH"),
    ({"GITLAB_CI": "true", "CI_MERGE_REQUEST_DIFF_BASE_SHA": "<release>"}, "<release>",
     "CI_MERGE_REQUEST_DIFF_BASE_SHA"),
    ({"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main"}, "main", "GITHUB_BASE_REF"),
])
def test_ci_target_branch_from_the_environment(tmp_path, variables, base, origin):
    repo = project(tmp_path)
    tip = branch_off_main(repo, "release", FRONTEND)
    repo.git("update-ref", "refs/remotes/origin/release", tip)
    variables = {k: v.replace("<release>", tip) for k, v in variables.items()}
    base = base.replace("<release>", tip)
    res = hook(repo.path, stop_event(repo.path), env=variables)
    assert (res.code, res.err) == expected_stop(repo, base, variables)
    res = hook(repo.path, edit_event(repo.path), env=variables)
    if base == "main":
        assert blocked_by(res, f"{origin} main {sha(repo, 'main')[:8]}"), res
    else:
        assert res.code == 0, res                  # the release branch's frontend policy


def test_ci_target_branch_that_is_not_there(tmp_path):
    repo = project(tmp_path)
    variables = {"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "nope"}
    res = hook(repo.path, stop_event(repo.path), env=variables)
    assert res.code == 2 and res.err.startswith(
        "guard: not done yet — the work could not be checked: base 'origin/nope' does not "
        "name a commit in this repository — fetch it first"), res
    res = hook(repo.path, edit_event(repo.path), env=variables)
    assert blocked_by(res, f"HEAD {sha(repo, 'HEAD')[:8]} (no base branch found)"), res


# -- shallow clones ------------------------------------------------------------------------
def _shallow_clone(tmp_path, source: Repo, depth: int) -> Repo:
    path = str(tmp_path / "clone")
    subprocess.run(["git", "clone", "-q", f"--depth={depth}", "--no-single-branch",
                    "file://" + source.path, path], check=True, env=git_env())
    clone = Repo(path)
    clone.git("config", "core.hooksPath", os.devnull)
    clone.git("checkout", "-q", "agent/backend/task")
    return clone


def test_shallow_clone_without_the_merge_base(tmp_path):
    source = project(tmp_path, "src")
    source.commit("feat(api): more", {"src/api/more.py": "y = 1\n"})
    source.checkout("main")
    clone = _shallow_clone(tmp_path, source, 1)
    res = hook(clone.path, stop_event(clone.path))
    main, head = sha(clone, "origin/main"), sha(clone, "HEAD")
    assert res.code == 2 and res.out == "" and res.err.startswith(
        f"guard: not done yet — the work could not be checked: shallow clone: the merge base "
        f"of {main[:12]} and {head[:12]} is not in the fetched history, so the changed range "
        "cannot be computed — fetch the full history"), res
    res = hook(clone.path, edit_event(clone.path))
    assert blocked_by(res, f"the default branch origin/main {main[:8]}"), res


def test_shallow_clone_that_cut_a_commit_of_the_range(tmp_path):
    """The merge base is fetched (main was merged into the branch) but a commit of the range
    lost its parents to the shallow fetch."""
    source = project(tmp_path, "src")
    cut = source.commit("feat(api): more", {"src/api/more.py": "y = 1\n"})
    source.checkout("main")
    source.commit("docs: main moves on", {"docs/more.md": "more\n"})
    source.checkout("agent/backend/task")
    source.git("merge", "-q", "--no-ff", "-m", "chore: merge main", "main")
    source.checkout("main")
    clone = _shallow_clone(tmp_path, source, 2)
    with open(os.path.join(clone.path, ".git", "shallow"), encoding="ascii") as fh:
        assert cut in fh.read().split()
    res = hook(clone.path, stop_event(clone.path))
    main, head = sha(clone, "origin/main"), sha(clone, "HEAD")
    assert res.code == 2 and res.out == "" and res.err.startswith(
        f"guard: not done yet — the work could not be checked: shallow clone: the history "
        f"behind commit {cut[:8]} is not fetched, so some commits of {main[:8]}..{head[:8]} "
        "cannot be checked — fetch the full history"), res


def test_shallow_clone_with_the_whole_range(tmp_path):
    source = project(tmp_path, "src")
    source.checkout("main")
    clone = _shallow_clone(tmp_path, source, 3)
    clone.write("src/api/wip.py", "x = 1\n")
    res = hook(clone.path, stop_event(clone.path))
    assert (res.code, res.err) == expected_stop(clone, "origin/main")


# -- no repository, no commit --------------------------------------------------------------
def test_empty_repository_and_no_repository(tmp_path):
    repo = Repo.init(str(tmp_path / "empty"))
    repo.write("a.txt")
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.out, res.err) == (
        0, "", "guard: notice: nothing checked — the repository has no commit yet\n")
    res = hook(repo.path, edit_event(repo.path))
    assert (res.code, res.out, res.err) == (
        0, "", "guard: notice: nothing checked — the repository has no commit yet, so there "
               "is no trusted policy\n")
    plain = str(tmp_path / "plain")
    os.makedirs(plain)
    for payload in (stop_event(plain), edit_event(plain)):
        res = hook(plain, payload)
        assert (res.code, res.out, res.err) == (
            0, "", f"guard: notice: nothing checked — {plain}: not a git repository — run "
                   "guard inside the repository to check (or `git init` one)\n")
    gone = str(tmp_path / "gone")
    res = hook(plain, stop_event(gone))
    assert (res.code, res.err) == (0, f"guard: notice: nothing checked — {gone}: no such "
                                      "folder — run guard inside a git repository\n")


# -- the trusted policy's files ------------------------------------------------------------
BACKEND_TOOLS = ("name: backend\ntitle: Backend Engineer\nextends: backend\n"
                 "owned:\n  - paths: [tools/]\n")
QA = "name: qa\ntitle: QA Engineer\nowned: [qa/]\n"


@pytest.mark.parametrize("files,config", [
    ({".guard/roles/backend.yaml": BACKEND_TOOLS, ".guard/roles/README.md": "roles\n",
      ".guard/roles/qa.yml": QA}, None),
    ({".guard/roles/backend.yaml": BACKEND_TOOLS, ".guard/roles/more/qa.yaml": QA}, None),
    ({"policy/roles/backend.yaml": BACKEND_TOOLS},
     "guard:\n  role: backend\n  roles_dir: policy/roles\n"),
])
def test_project_role_files_come_from_the_base(tmp_path, files, config):
    kwargs = {"config": config} if config else {}
    repo = backend_project(str(tmp_path / "p"), extra=files, **kwargs)
    repo.commit("feat(api): a tool", {"tools/a.py": "x = 1\n"})
    res = hook(repo.path, edit_event(repo.path, "tools/b.py"))
    assert (res.code, res.out, res.err) == (0, "", "")          # tools/ is the role's
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == (0, "")
    # the same files committed on the agent branch only are not trusted (a roles_dir the
    # configuration names exists on the base: a missing one is a configuration error, below)
    plain = backend_project(str(tmp_path / "q"), **kwargs,
                            extra={"policy/roles/README.md": "roles\n"} if config else None)
    plain.commit("feat(api): a tool", {"tools/a.py": "x = 1\n", **files})
    res = hook(plain.path, edit_event(plain.path, "tools/b.py"))
    assert res.code == 2 and "tools/b.py is not among the paths the Backend Engineer " \
        "owns" in res.err, res


def test_roles_dir_set_to_a_folder_the_base_does_not_have(tmp_path):
    # guard.roles_dir: policy/roles with no such folder on the base was read as no project
    # roles: a project's override of a built-in role was dropped without a word
    config = BACKEND_CONFIG + "  roles_dir: policy/roles\n"
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat(api): a tool", {"tools/a.py": "x = 1\n",
                                      "policy/roles/backend.yaml": BACKEND_TOOLS})
    line = ("company.config.yaml:8: guard.roles_dir names 'policy/roles', but the trusted "
            "policy (base main {sha}) has no files under it — create policy/roles/ with the "
            "project's role files (and commit it on the base branch), or remove "
            "guard.roles_dir").format(sha=sha(repo, "main")[:8])
    res = run_guard("check", "--base", "main", cwd=repo.path)
    assert (res.code, res.out, res.err) == (2, "", f"guard: error: {line}\n")
    # the hooks cannot answer with a broken trusted configuration: a visible hook error, and
    # the stop is held (fail closed)
    for payload, code in ((edit_event(repo.path, "tools/b.py"), 1), (stop_event(repo.path), 2)):
        res = hook(repo.path, payload)
        assert res.code == code and "company.config.yaml:8: guard.roles_dir names" in res.err, \
            res
    # the default folder (.guard/roles, not set) may be absent: nothing to say
    plain = backend_project(str(tmp_path / "q"))
    plain.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    res = run_guard("check", "--base", "main", cwd=plain.path)
    assert (res.code, res.err) == (0, ""), res


@pytest.mark.parametrize("files", [
    {".guard": "a file, not a folder\n"},
    {".guard/roles": "a file, not a folder\n"},
])
def test_roles_folder_that_is_not_a_folder(tmp_path, files):
    repo = project(tmp_path)
    repo.checkout("main")
    repo.commit("chore: odd policy folder", files)
    repo.checkout("agent/backend/task")
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "main")
    res = hook(repo.path, edit_event(repo.path))
    assert blocked_by(res, f"the default branch main {sha(repo, 'main')[:8]}"), res


def test_sha256_repository(tmp_path):
    repo = Repo(str(tmp_path / "p"))
    os.makedirs(repo.path)
    repo.git("init", "-q", "-b", "main", "--object-format=sha256")
    repo.git("config", "core.hooksPath", os.devnull)
    repo.commit("chore: base", {"company.config.yaml": "guard:\n  role: backend\n",
                                ".guard/roles/backend.yaml": BACKEND_TOOLS,
                                "src/server/app.py": "x = 1\n"})
    repo.branch("agent/backend/task")
    repo.commit("feat(ui): a button", {"src/components/B.tsx": "export {}\n"})
    res = hook(repo.path, edit_event(repo.path, "tools/b.py"))
    assert (res.code, res.err) == (0, "")
    res = hook(repo.path, edit_event(repo.path))
    assert blocked_by(res, f"the default branch main {sha(repo, 'main')[:8]}"), res
    res = hook(repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "main")


# -- how many git processes each hook path starts ------------------------------------------
def git_calls(tmp_path, cwd: str, payload: str, env: dict | None = None) -> tuple:
    """(the hook's answer, the git commands it ran): git itself logs each process it starts
    to GIT_TRACE."""
    trace = str(tmp_path / "git-trace.txt")
    if os.path.exists(trace):
        os.remove(trace)
    res = hook(cwd, payload, env={**(env or {}), "GIT_TRACE": trace})
    with open(trace, encoding="utf-8", errors="replace") as fh:
        calls = [line.split("trace: built-in: git ", 1)[1].rstrip("\n") for line in fh
                 if "trace: built-in: git " in line]
    return res, calls


def commands(calls: list[str]) -> list[str]:
    return sorted(call.split(" ", 1)[0] for call in calls)


def agent_at_work(tmp_path) -> Repo:
    """As the hook benchmark leaves its repository: a branch of a few commits, an unstaged
    edit of a file the branch left alone, an untracked file."""
    repo = backend_project(str(tmp_path / "p"), extra={
        ".env.example": "API_PORT=8000\n", "src/api/notes.py": "NOTE = 1\n"})
    repo.commit("feat(api): orders", {"src/api/orders.py": "import os\nPORT = 8000\n"})
    repo.commit("feat(ui): a button", {"src/components/B.tsx": "export {}\n",
                                       "src/types/order.ts": "export type Order = {id: 1}\n"})
    repo.write("src/api/notes.py", "NOTE = 2\n")
    repo.write("src/components/Untracked.tsx", "export {}\n")
    return repo


STOP_GIT = ["cat-file", "cat-file", "config", "diff", "for-each-ref", "log", "log",
            "ls-files", "merge-base", "rev-parse", "status"]


def test_stop_hook_git_processes(tmp_path):
    """Eleven git processes (nineteen before): the scan of the working tree; one rev-parse
    for the repository, HEAD and its branch; the default branch's setting and refs; the
    base's commit with the policy files on it and what the checks ask of HEAD, in one
    cat-file; the merge base, the branch's diff and its two logs; the changed files' blobs,
    both sides, which the import-boundary check (SCOPE007), the conventions check and the
    migrations check read, in one cat-file (one each before). No symbolic-ref, no second
    rev-parse, no `config --get`, no ls-tree, no single blob read, no shallow question when
    no commit lost its parents."""
    repo = agent_at_work(tmp_path)
    res, calls = git_calls(tmp_path, repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "main")
    assert "COMMIT012" in res.err and "SCOPE001" in res.err
    assert commands(calls) == STOP_GIT, calls
    assert [c for c in calls if c.startswith("rev-parse")] == [
        "rev-parse --show-toplevel HEAD --symbolic-full-name HEAD --path-format=absolute "
        "--git-common-dir --git-dir"]
    # a clean working tree: the same eleven (eighteen before)
    repo.git("stash", "-q", "-u")
    res, calls = git_calls(tmp_path, repo.path, stop_event(repo.path))
    assert (res.code, res.err) == expected_stop(repo, "main")
    assert commands(calls) == STOP_GIT, calls


def test_pre_tool_use_hook_git_processes(tmp_path):
    """Four git processes (six before): rev-parse; git config and for-each-ref for the
    default branch, side by side; one cat-file for its commit and the policy files. A block
    five (seven), with two project role files five (eight)."""
    repo = agent_at_work(tmp_path)
    res, calls = git_calls(tmp_path, repo.path, edit_event(repo.path, "src/api/new.py"))
    assert (res.code, res.out, res.err) == (0, "", "")
    assert commands(calls) == ["cat-file", "config", "for-each-ref", "rev-parse"], calls
    # a block also asks whether git ignores the path
    res, calls = git_calls(tmp_path, repo.path, edit_event(repo.path))
    assert blocked_by(res, f"the default branch main {sha(repo, 'main')[:8]}"), res
    assert commands(calls) == ["cat-file", "check-ignore", "config", "for-each-ref",
                               "rev-parse"], calls
    # with project role files: one more cat-file for all of them (one each before)
    repo.checkout("main")
    repo.commit("chore: roles", {".guard/roles/backend.yaml": BACKEND_TOOLS,
                                 ".guard/roles/qa.yaml": QA})
    repo.checkout("agent/backend/task")
    res, calls = git_calls(tmp_path, repo.path, edit_event(repo.path, "tools/x.py"))
    assert (res.code, res.err) == (0, ""), res
    assert commands(calls) == ["cat-file", "cat-file", "config", "for-each-ref",
                               "rev-parse"], calls


# -- a base the agent moved (issue 20, point 1) --------------------------------------------
@pytest.mark.parametrize("move", [
    ["branch", "-f", "main", "HEAD"],
    ["branch", "-u", "child"],
    ["config", "init.defaultBranch", "agent/backend/task"],
])
def test_stop_holds_a_base_the_agent_moved(tmp_path, move):
    repo = project(tmp_path)
    repo.git("add", "-A")
    repo.commit("chore: quiet", {"company.config.yaml": BACKEND_CONFIG +
                                 "  severity:\n    SCOPE001: off\n"})
    repo.git("branch", "child", "HEAD")
    repo.git("update-ref", "-d", "refs/heads/main") if move[0] == "config" else None
    repo.git(*move)
    res = hook(repo.path, stop_event(repo.path))
    assert res.code == 2 and "could not be checked" in res.err, res


def test_stop_holds_an_orphan_branch(tmp_path):
    repo = project(tmp_path)
    repo.git("checkout", "-q", "--orphan", "fresh")
    res = hook(repo.path, stop_event(repo.path))
    assert res.code == 2 and "orphan" in res.err, res
    repo.commit("chore: alone", {"x.txt": "x\n"})
    res = hook(repo.path, stop_event(repo.path))
    assert res.code == 2 and "share no history" in res.err, res
