"""Role selection, task scopes and the trust boundary: policy comes from the base."""

import json
import os
import subprocess

import pytest

from gitrepo import Repo, backend_project, run_guard


def run_json(repo, *args, env=None):
    res = run_guard("check", "--format", "json", "--only", "scope,policy", *args, cwd=repo.path,
                    env=env)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)


def found(data):
    return {(f["rule"], f["path"]) for f in data["findings"] if f["check"] in ("scope", "policy")}


NO_ROLE = "personas:\n  engineering_frontend: Riley\n"


def test_role_from_branch_name(tmp_path):
    repo = Repo.init(str(tmp_path / "p"))
    repo.commit("chore: base", {"company.config.yaml": NO_ROLE})
    repo.branch("agent/frontend/button")
    repo.commit("feat(ui): button", {"src/components/Button.tsx": "x\n"})
    data = run_json(repo, "--base", "main")
    assert data["role"] == "frontend" and data["findings"] == []
    assert "branch name" in data["role_origin"]
    assert data["persona"] == "Riley"


def test_role_from_agent_name_alias(tmp_path):
    repo = Repo.init(str(tmp_path / "p"))
    repo.commit("chore: base", {"company.config.yaml": NO_ROLE})
    repo.branch("agents/engineering-backend/orders")
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    assert run_json(repo, "--base", "main")["role"] == "backend"


def test_role_from_trailer(tmp_path):
    repo = Repo.init(str(tmp_path / "p"))
    repo.commit("chore: base", {"company.config.yaml": NO_ROLE})
    repo.branch("feature/x")
    repo.commit("feat: x\n\nAgent-Role: devops", {".github/workflows/ci.yml": "x\n"})
    data = run_json(repo, "--base", "main")
    assert data["role"] == "devops" and data["findings"] == []
    assert data["role_origin"] == "Agent-Role commit trailer"


def test_role_flag_beats_config(repo):
    repo.commit("feat(ui): x", {"src/components/Button.tsx": "y\n"})
    assert found(run_json(repo, "--base", "main"))
    assert run_json(repo, "--base", "main", "--role", "frontend")["findings"] == []


def test_policy_edit_on_branch_is_ignored_and_reported(repo):
    cfg = repo.git("show", "main:company.config.yaml")
    repo.commit("chore: widen my scope", {
        "company.config.yaml": cfg + "\n  owned: [src/components/]\n  unowned: warning\n",
        "src/components/Button.tsx": "mine now\n",
        "scripts/x.sh": "echo\n"})
    data = run_json(repo, "--base", "main")
    f = found(data)
    assert ("SCOPE001", "src/components/Button.tsx") in f
    assert ("POLICY001", "company.config.yaml") in f
    unowned = next(x for x in data["findings"] if x["rule"] == "SCOPE003")
    assert unowned["severity"] == "error"   # the branch's `unowned: warning` did not apply
    # someone authoring policy can read it from the working tree instead
    data = run_json(repo, "--base", "main", "--policy", "worktree")
    unowned = next(x for x in data["findings"] if x["rule"] == "SCOPE003")
    assert unowned["severity"] == "warning"
    f = found(data)
    assert ("SCOPE001", "src/components/Button.tsx") in f   # deny still wins over own
    assert ("POLICY001", "company.config.yaml") in f


def test_project_role_file_added_on_branch_is_ignored(repo):
    repo.commit("chore: my own role", {
        ".guard/roles/backend.yaml": "name: backend\nowned: ['**']\n",
        "src/components/Button.tsx": "mine\n"})
    f = found(run_json(repo, "--base", "main"))
    assert ("SCOPE001", "src/components/Button.tsx") in f
    assert ("POLICY001", ".guard/roles/backend.yaml") in f


def test_project_role_from_base_extends_builtin(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={
        ".guard/roles/backend.yaml": "name: backend\nextends: backend\nowned: [scripts/]\n"})
    repo.commit("feat: script", {"scripts/x.sh": "echo\n", "src/components/Button.tsx": "z\n"})
    f = found(run_json(repo, "--base", "main"))
    assert ("SCOPE003", "scripts/x.sh") not in f
    assert ("SCOPE001", "src/components/Button.tsx") in f


def test_pre_commit_config_change_is_policy_error(repo):
    repo.commit("chore: hooks", {".pre-commit-config.yaml": "repos: []\n"})
    assert ("POLICY001", ".pre-commit-config.yaml") in found(run_json(repo, "--base", "main"))


def test_staff_owns_policy(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("chore: policy", {"company.config.yaml": "guard:\n  role: staff\n"})
    data = run_json(repo, "--base", "main", "--role", "staff")
    assert data["findings"] == []


def test_a_role_the_branch_declares_never_owns_the_policy(tmp_path):
    """An agent that names its branch agent/staff/... (or writes `Agent-Role: staff`) picks
    the role that owns company.config.yaml; that must not let it change the policy."""
    repo = Repo.init(str(tmp_path / "p"))
    repo.commit("chore: base", {"company.config.yaml": NO_ROLE})
    repo.branch("agent/staff/loosen")
    repo.commit("chore: policy", {"company.config.yaml": NO_ROLE + "guard:\n  unowned: warning\n",
                                  "tasks/t1.md": "x\n"})
    data = run_json(repo, "--base", "main")
    assert data["role"] == "staff"
    assert found(data) == {("POLICY001", "company.config.yaml")}
    finding = data["findings"][0]
    assert "branch name" in finding["message"] and "--role" in finding["hint"]
    # named by the run, the same role owns it
    assert run_json(repo, "--base", "main", "--role", "staff")["findings"] == []

    repo.checkout("main")
    repo.branch("feature/loosen")
    repo.commit("chore: policy\n\nAgent-Role: staff",
                {"company.config.yaml": NO_ROLE + "guard:\n  unowned: warning\n"})
    data = run_json(repo, "--base", "main")
    assert data["role_origin"] == "Agent-Role commit trailer"
    assert found(data) == {("POLICY001", "company.config.yaml")}

    # the PreToolUse hook, on the branch-named role, blocks the write too
    repo.checkout("agent/staff/loosen")
    event = json.dumps({"hook_event_name": "PreToolUse", "tool_name": "Edit", "cwd": repo.path,
                        "tool_input": {"file_path": os.path.join(repo.path,
                                                                 "company.config.yaml")}})
    res = run_guard("hook", "claude", cwd=repo.path, input=event)
    assert res.code == 2 and "POLICY001" in res.err


def test_task_scope_yaml_from_base(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={
        "tasks/orders.yaml": "task: orders API\nallowed: [src/api/orders/, tests/api/]\n"
                             "forbidden: [src/api/orders/legacy.py]\n"})
    repo.commit("feat: orders", {"src/api/orders/list.py": "x\n",
                                 "src/api/users.py": "x\n",
                                 "src/api/orders/legacy.py": "x\n"})
    data = run_json(repo, "--base", "main", "--scope", "tasks/orders.yaml")
    f = found(data)
    assert ("SCOPE004", "src/api/users.py") in f
    assert ("SCOPE001", "src/api/orders/legacy.py") in f
    assert not any(p == "src/api/orders/list.py" for _, p in f)
    assert data["task"] == "orders API"


def test_task_scope_text_lists_outside_repo(repo, tmp_path):
    scope = tmp_path / "scope.txt"
    scope.write_text("Task: orders\n\nALLOWED:\n- src/api/\n- src/components/Button.tsx\n"
                     "FORBIDDEN:\n- src/api/admin/\n")
    repo.commit("feat: x", {"src/api/a.py": "x\n", "src/api/admin/b.py": "x\n",
                            "src/components/Button.tsx": "x\n", "src/services/s.py": "x\n"})
    f = found(run_json(repo, "--base", "main", "--scope", str(scope)))
    assert ("SCOPE001", "src/api/admin/b.py") in f
    # the role's do-not-touch list still applies on top of the task's allowed list
    assert ("SCOPE001", "src/components/Button.tsx") in f
    assert ("SCOPE004", "src/services/s.py") in f
    assert not any(p == "src/api/a.py" for _, p in f)


def test_task_scope_edited_on_branch_does_not_apply(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={
        "tasks/t.yaml": "allowed: [src/api/]\n"})
    repo.commit("feat: x", {"tasks/t.yaml": "allowed: [src/]\n", "src/services/s.py": "x\n"})
    f = found(run_json(repo, "--base", "main", "--scope", "tasks/t.yaml"))
    assert ("SCOPE004", "src/services/s.py") in f
    assert ("SCOPE001", "tasks/t.yaml") in f or ("POLICY001", "tasks/t.yaml") in f


def test_severity_change_and_suppressions_from_base(tmp_path):
    cfg = ("guard:\n  role: backend\n  severity:\n"
           "    SCOPE002: {level: error, reason: shared types are frozen}\n"
           "  ignore:\n"
           "    - {rule: SCOPE003, paths: [docs/], reason: docs are everyone's}\n"
           "    - {rule: SCOPE001, paths: [src/styles/], reason: stale}\n")
    repo = backend_project(str(tmp_path / "p"), config=cfg)
    repo.commit("feat: x", {"src/types/order.ts": "y\n", "docs/a.md": "doc\n"})
    data = run_json(repo, "--base", "main")
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert by_rule["SCOPE002"]["severity"] == "error"
    assert "SCOPE003" not in by_rule
    assert by_rule["POLICY002"]["line"] == 7


def test_suppression_on_branch_cannot_switch_off_a_check(repo):
    cfg = repo.git("show", "main:company.config.yaml")
    repo.commit("chore: quiet", {
        "company.config.yaml": cfg + "\n  severity:\n    SCOPE001: {level: off, reason: no}\n",
        "src/components/Button.tsx": "x\n"})
    assert ("SCOPE001", "src/components/Button.tsx") in found(run_json(repo, "--base", "main"))


def test_staged_mode_reads_policy_from_head(repo):
    cfg = repo.git("show", "main:company.config.yaml")
    repo.write("company.config.yaml", cfg + "\n  owned: [src/components/]\n")
    repo.write("src/components/Button.tsx", "staged\n")
    repo.git("add", "-A")
    res = run_guard("check", "--staged", "--format", "json", "--only", "scope,policy",
                    cwd=repo.path)
    assert res.code == 1
    data = json.loads(res.out)
    assert data["mode"] == "staged"
    assert ("SCOPE001", "src/components/Button.tsx") in found(data)
    assert ("POLICY001", "company.config.yaml") in found(data)


def test_staged_mode_ignores_unstaged_and_committed(repo):
    repo.commit("feat(ui): committed", {"src/components/Button.tsx": "c\n"})
    repo.write("deploy/nginx.conf", "unstaged\n")
    repo.write("src/api/x.py", "x\n")
    repo.git("add", "src/api/x.py")
    res = run_guard("check", "--staged", "--only", "scope,policy", cwd=repo.path)
    assert res.code == 0, res.out


def test_ci_environment_selects_base(repo):
    repo.git("update-ref", "refs/remotes/origin/main", "main")
    repo.commit("feat(ui): x", {"src/components/Button.tsx": "x\n"})
    gh = {"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main"}
    data = run_json(repo, env=gh)
    assert data["base"]["ref"] == "origin/main"
    gl = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    assert run_json(repo, env=gl)["base"]["ref"] == "origin/main"
    base_sha = repo.git("rev-parse", "main")
    gl_sha = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_DIFF_BASE_SHA": base_sha}
    assert run_json(repo, env=gl_sha)["base"]["sha"] == base_sha


def test_pre_push_refs(repo):
    first = repo.commit("feat: ok", {"src/api/x.py": "x\n"})
    repo.commit("feat(ui): bad", {"src/components/Button.tsx": "x\n"})
    env = {"PRE_COMMIT_FROM_REF": repo.git("rev-parse", "main"), "PRE_COMMIT_TO_REF": first}
    data = run_json(repo, env=env)
    assert data["head"]["sha"] == first and data["findings"] == []


def test_default_branch_used_without_base(repo):
    repo.commit("feat(ui): x", {"src/components/Button.tsx": "x\n"})
    data = run_json(repo)
    assert data["base"]["ref"] == "main"
    assert data["merge_base"] == repo.git("rev-parse", "main")


def test_default_branch_order_origin_head_then_configured_then_main(tmp_path, repo):
    """Without --base: origin/HEAD's target, else init.defaultBranch, main, master, trunk,
    develop as origin's branches, then as local ones — among real refs of a real clone."""
    clone = Repo(str(tmp_path / "clone"))
    subprocess.run(["git", "clone", "-q", repo.path, clone.path], env=clone.env, check=True)
    clone.git("config", "core.hooksPath", os.devnull)
    clone.git("remote", "set-head", "origin", "main")
    clone.git("checkout", "-q", "--no-track", "-b", "agent/backend/x", "origin/main")
    clone.commit("feat(api): x", {"src/api/x.py": "x\n"})
    assert run_json(clone)["base"]["ref"] == "origin/main"        # origin/HEAD -> origin/main
    clone.git("remote", "set-head", "origin", "-d")
    clone.git("branch", "main", "origin/main")
    clone.git("branch", "trunk", "main")
    assert run_json(clone)["base"]["ref"] == "origin/main"        # no origin/HEAD: main first
    clone.git("config", "init.defaultBranch", "trunk")
    # the configured name wins among origin's branches, but a local branch never outranks
    # origin's: init.defaultBranch and local branches are the agent's to move
    assert run_json(clone)["base"]["ref"] == "origin/main"
    clone.git("update-ref", "refs/remotes/origin/trunk", "main")
    assert run_json(clone)["base"]["ref"] == "origin/trunk"       # configured name wins
    clone.git("update-ref", "-d", "refs/remotes/origin/main")
    clone.git("update-ref", "-d", "refs/remotes/origin/trunk")
    clone.git("config", "--unset", "init.defaultBranch")
    assert run_json(clone)["base"]["ref"] == "main"               # the local main


def test_explain_path_names_pattern(repo):
    res = run_guard("explain", "src/components/Button.tsx", cwd=repo.path)
    assert res.code == 0, res.err
    assert "do-not-touch" in res.out and "builtin:backend.yaml:" in res.out
    assert "Riley (Frontend Engineer)" in res.out
    res = run_guard("explain", "src/app/api/orders/route.ts", cwd=repo.path)
    assert "shared boundary" in res.out
    res = run_guard("explain", "company.config.yaml", cwd=repo.path)
    assert "policy file" in res.out


def test_explain_rule_and_rules_list(repo):
    res = run_guard("rules", "--format", "json", cwd=repo.path)
    ids = [r["id"] for r in json.loads(res.out)]
    assert len(ids) == len(set(ids)) and "SCOPE001" in ids
    res = run_guard("explain", "scope003", cwd=repo.path)
    assert res.code == 0 and "Wrong:" in res.out and "Right:" in res.out


def test_pre_push_reads_policy_from_default_branch_not_from_ref(tmp_path):
    """An earlier unchecked push cannot loosen the pre-push check's policy."""
    repo = backend_project(str(tmp_path / "p"))
    cfg = repo.git("show", "main:company.config.yaml")
    pushed = repo.commit("chore: sneak", {
        "company.config.yaml": cfg.replace("role: backend", "role: frontend")})
    repo.commit("feat(ui): x", {"src/components/Button.tsx": "x\n"})
    env = {"PRE_COMMIT_FROM_REF": pushed, "PRE_COMMIT_TO_REF": repo.git("rev-parse", "HEAD")}
    data = run_json(repo, env=env)
    assert data["role"] == "backend"
    assert ("SCOPE001", "src/components/Button.tsx") in found(data)
    assert "default branch" in data["policy_source"]


def test_staged_merge_resolution_counts_only_the_resolution(repo):
    repo.checkout("main")
    repo.commit("feat(ui): frontend work on main", {"src/components/Button.tsx": "main\n",
                                                    "src/api/shared.py": "main\n"})
    repo.checkout("agent/backend/task")
    repo.commit("feat(api): mine", {"src/api/shared.py": "mine\n"})
    repo.git("merge", "main", check=False)          # conflict in src/api/shared.py
    repo.write("src/api/shared.py", "resolved\n")
    repo.git("add", "src/api/shared.py")
    res = run_guard("check", "--staged", "--format", "json", "--only", "scope,policy",
                    cwd=repo.path)
    data = json.loads(res.out)
    assert res.code == 0, data["findings"]
    assert [c["path"] for c in data["changes"]] == ["src/api/shared.py"]


def test_staged_merge_of_unreviewed_work_counts_in_full(repo):
    """Only a merge of the target branch's own work is held to its resolution: an agent
    that builds a commit with the forbidden edit (git commit-tree) and merges it in gets
    the edit checked."""
    repo.checkout("agent/backend/task")
    repo.write("src/components/Button.tsx", "sneaked in\n")
    repo.git("add", "-A")
    tree = repo.git("write-tree")
    sneaky = repo.git("commit-tree", tree, "-p", "HEAD", "-m", "x")
    repo.git("reset", "-q", "--hard")
    repo.git("merge", "--no-ff", "--no-commit", sneaky)
    res = run_guard("check", "--staged", "--format", "json", "--only", "scope,policy",
                    cwd=repo.path)
    data = json.loads(res.out)
    assert res.code == 1
    assert ("SCOPE001", "src/components/Button.tsx") in found(data)


def test_if_no_role_skip_is_visible(tmp_path):
    repo = Repo.init(str(tmp_path / "p"))
    repo.commit("chore: base", {"README.md": "x\n"})
    repo.write("src/components/a.tsx", "x\n")
    repo.git("add", "-A")
    res = run_guard("check", "--staged", "--if-no-role", "skip", cwd=repo.path)
    assert res.code == 0 and "nothing checked" in res.err and "no role" in res.err
    assert run_guard("check", "--staged", cwd=repo.path).code == 2
    repo.branch("feature/x")
    repo.git("commit", "-q", "-m", "feat: a")
    report = tmp_path / "REPORT.md"
    report.write_text("# Hand-off report\n")
    res = run_guard("verify-report", str(report), "--base", "main", "--if-no-role", "skip",
                    cwd=repo.path)
    assert (res.code, res.out) == (0, "") and res.err.startswith(
        "guard: notice: report not verified — no role"), res
    assert run_guard("verify-report", str(report), "--base", "main", cwd=repo.path).code == 2


def test_worktree_mode_sees_uncommitted_and_untracked(repo):
    from guard import context, engine
    repo.commit("feat: ok", {"src/api/x.py": "x\n"})
    repo.write("src/components/Button.tsx", "dirty\n")
    repo.write("deploy/new.conf", "untracked\n")
    import os
    os.symlink("../components", os.path.join(repo.path, "src/server/ui"))
    ctx = context.build(context.Options(repo=repo.path, base="main", worktree=True), env={})
    report = engine.run(ctx, ["scope"], fail_on="error")
    got = {(f.rule, f.path) for f in report.findings}
    assert ("SCOPE001", "src/components/Button.tsx") in got
    assert ("SCOPE001", "deploy/new.conf") in got
    assert ("SCOPE005", "src/server/ui") in got
    assert report.mode == "worktree"


def test_replace_objects_and_grafts_do_not_change_what_guard_reads(repo):
    # `git replace` is an ordinary command an agent can run: swapping the base's policy blob
    # (or the branch's commit) for another must not change the policy or the change checked
    repo.commit("feat(ui): mine now", {"src/components/Button.tsx": "mine\n"})
    loose = repo.git("show", "main:company.config.yaml").replace("role: backend",
                                                                  "role: frontend")
    fake = repo.git("hash-object", "-w", "--stdin", input=loose.encode())
    repo.git("replace", repo.git("rev-parse", "main:company.config.yaml"), fake)
    data = run_json(repo, "--base", "main")
    assert data["role"] == "backend"
    assert ("SCOPE001", "src/components/Button.tsx") in found(data)
    res = run_guard("hook", "claude", cwd=repo.path, input=json.dumps({
        "hook_event_name": "PreToolUse", "tool_name": "Edit", "cwd": repo.path,
        "tool_input": {"file_path": os.path.join(repo.path, "src/components/Button.tsx")}}))
    assert res.code == 2 and "SCOPE001" in res.err, res
    repo.git("replace", "-d", repo.git("rev-parse", "main:company.config.yaml"))
    # the branch's commit replaced by the base's: the diff would be empty
    repo.git("replace", "-f", "HEAD", "main")
    assert ("SCOPE001", "src/components/Button.tsx") in found(run_json(repo, "--base", "main"))
    repo.git("replace", "-d", repo.git("rev-parse", "HEAD"))
    # a graft that makes the base a child of the branch's head: an empty range
    with open(os.path.join(repo.path, ".git", "info", "grafts"), "w") as fh:
        fh.write(f"{repo.git('rev-parse', 'main')} {repo.git('rev-parse', 'HEAD')}\n")
    assert ("SCOPE001", "src/components/Button.tsx") in found(run_json(repo, "--base", "main"))


def test_a_ref_named_merge_head_is_not_a_merge_in_progress(repo, tmp_path):
    # `--staged` holds a merge's commit to what differs from both parents. Without a merge
    # going on, a tag or branch named MERGE_HEAD (ordinary commands) whose tree is the
    # staged one used to make every staged change look like the other side's: a pass
    repo.write("src/components/Button.tsx", "mine\n")
    repo.git("add", "-A")
    fake = repo.git("commit-tree", repo.git("write-tree"), "-p", "HEAD", "-m", "x")
    for kind in ("tag", "branch"):
        repo.git(kind, "MERGE_HEAD", fake)
        res = run_guard("check", "--staged", "--format", "json", "--only", "scope,policy",
                        cwd=repo.path)
        assert res.code == 1 and ("SCOPE001", "src/components/Button.tsx") in found(
            json.loads(res.out)), (kind, res)
        msg = tmp_path / "MSG"
        msg.write_text("Merge branch 'x' into whatever\n")     # not conventional
        res = run_guard("hook", "commit-msg", str(msg), cwd=repo.path)
        assert res.code == 1, (kind, res)
        repo.git(kind, "-D" if kind == "branch" else "-d", "MERGE_HEAD")
    # a real merge of the target branch in progress is still recognised: the other side's
    # files are not held
    repo.git("stash", "-q")
    repo.checkout("main")
    repo.commit("feat(ui): theirs", {"src/components/Button.tsx": "theirs\n"})
    repo.checkout("agent/backend/task")
    repo.commit("feat(api): x", {"src/api/x.py": "x\n"})
    repo.git("merge", "-q", "--no-ff", "--no-commit", "main")
    res = run_guard("check", "--staged", "--format", "json", "--only", "scope,policy",
                    cwd=repo.path)
    assert res.code == 0, res


def test_tag_pushed_as_origin_main_is_not_the_ci_base(tmp_path):
    # An agent that can push its branch can push a tag `origin/main` too; a CI clone fetches
    # tags, and git's lookup reads refs/tags/origin/main before refs/remotes/origin/main.
    # Pointed at the agent's own looser policy, it was the base: the check passed.
    remote = str(tmp_path / "remote.git")
    agent = backend_project(str(tmp_path / "agent"))
    agent.git("init", "-q", "--bare", remote)
    agent.git("push", "-q", remote, "main")
    cfg = agent.git("show", "main:company.config.yaml")
    loose = agent.commit("chore: my policy",
                         {"company.config.yaml": cfg.replace("role: backend", "role: frontend")})
    agent.commit("feat(ui): button", {"src/components/Button.tsx": "mine\n"})
    agent.git("tag", "origin/main", loose)
    agent.git("push", "-q", remote, "agent/backend/task", "refs/tags/origin/main")
    ci = Repo(str(tmp_path / "ci"))
    subprocess.run(["git", "clone", "-q", remote, ci.path], env=ci.env, check=True,
                   capture_output=True)
    ci.git("checkout", "-q", "agent/backend/task")
    assert ci.git("rev-parse", "origin/main") == loose            # git's own lookup
    data = run_json(ci, env={"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main"})
    assert data["role"] == "backend"
    assert {("SCOPE001", "src/components/Button.tsx"), ("POLICY001", "company.config.yaml")} \
        <= found(data)
    res = run_guard("check", "--base", "origin/main", cwd=ci.path)
    assert res.code == 2 and "'origin/main' is ambiguous" in res.err, res


@pytest.mark.parametrize("role", ["backend", "frontend", "staff"])
def test_compose_files_are_devops_in_every_pack(tmp_path, role):
    """Compose reads compose.yaml before docker-compose.yml: both names (and their override
    files) are DevOps' domain in the built-in packs, not "unowned"."""
    repo = Repo.init(str(tmp_path / "p"))
    repo.commit("chore: start", {"README.md": "x\n"})
    repo.branch(f"agent/{role}/x")
    files = ("compose.yaml", "compose.override.yml", "docker-compose.prod.yaml",
             "web/Dockerfile.dev", ".dockerignore")
    repo.commit("chore: containers", {f: "x\n" for f in files})
    res = run_guard("check", "--base", "main", "--only", "scope", "--format", "json",
                    cwd=repo.path)
    found = {f["path"]: f for f in json.loads(res.out)["findings"]}
    for path in files:
        assert found[path]["rule"] == "SCOPE001" and "DevOps" in found[path]["message"], path
