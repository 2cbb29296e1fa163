"""`guard hook claude`: captured Claude Code event shapes through the real CLI, on real
repositories; `guard init --claude`; the `--format agent` reporter."""

from __future__ import annotations

import json
import os

import pytest

from gitrepo import Repo, backend_project, run_guard

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "claude")
NO_ROLE = "personas:\n  engineering_backend: Casey\n  engineering_frontend: Riley\n"


def event(name: str, repo_path: str, **changes) -> dict:
    """A captured payload, moved from the capture's /work/shop onto the test repository."""
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as fh:
        text = fh.read().replace("/work/shop", repo_path)
    data = json.loads(text)
    for key, value in changes.items():
        if key in ("file_path", "notebook_path", "command"):
            data["tool_input"][key] = value
        elif value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def hook(repo_path: str, payload, *args, cwd: str | None = None, env=None):
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return run_guard("hook", "claude", *args, cwd=cwd or repo_path, input=text, env=env)


# -- PreToolUse: Write / Edit / MultiEdit / NotebookEdit --------------------------------
def test_write_to_owned_path_is_allowed_silently(repo):
    res = hook(repo.path, event("pre_tool_use_write", repo.path))
    assert (res.code, res.out, res.err) == (0, "", "")


def test_edit_of_forbidden_path_is_blocked_with_rule_pattern_and_owner(repo):
    res = hook(repo.path, event("pre_tool_use_edit", repo.path))
    assert res.code == 2, res
    assert res.out == ""
    first, detail = res.err.splitlines()[:2]
    assert first.startswith("guard: blocked — Edit to src/components/Button.tsx would break the "
                            "contract of Casey (Backend Engineer) (role backend")
    assert "src/components/Button.tsx is on the do-not-touch list for the Backend Engineer" \
        in detail
    assert "SCOPE001 do-not-touch-path" in detail
    assert "pattern `src/components/` at builtin:backend.yaml:" in detail
    assert "owned by Riley (Frontend Engineer)" in detail
    assert "ask the Staff Engineer" in detail


def test_multiedit_of_shared_path_is_allowed_with_reminder(repo):
    res = hook(repo.path, event("pre_tool_use_multiedit", repo.path))
    assert res.code == 0 and res.err == ""
    out = json.loads(res.out)
    ctx = out["hookSpecificOutput"]
    assert ctx["hookEventName"] == "PreToolUse"
    assert "src/types/order.ts is a shared boundary" in ctx["additionalContext"]
    assert "Staff Engineer" in ctx["additionalContext"]
    assert out["systemMessage"] == ctx["additionalContext"]
    assert "permissionDecision" not in ctx     # the user's own permission flow still runs


def test_blocked_headline_escapes_control_characters_in_the_target(repo):
    # a newline or terminal escape in the written path must not start a line of its own
    # (or recolour the terminal) in what the agent reads on stderr
    name = "src/components/x\nguard: allowed \x1b[32m.tsx"
    res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                file_path=os.path.join(repo.path, name)))
    assert res.code == 2, res
    assert "\x1b" not in res.err
    lines = res.err.splitlines()
    assert len(lines) == 2, res.err
    assert lines[0].startswith("guard: blocked — Write to src/components/x\\nguard: allowed "
                               "\\x1b[32m.tsx would break the contract")
    assert "SCOPE001" in lines[1]


def test_notebookedit_uses_notebook_path(repo):
    res = hook(repo.path, event("pre_tool_use_notebookedit", repo.path))
    assert res.code == 2 and "deploy/capacity.ipynb" in res.err and "DevOps" in res.err


def test_unowned_path_blocked_and_softened_by_trusted_policy(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                file_path=os.path.join(repo.path, "scripts/cleanup.sh")))
    assert res.code == 2 and "SCOPE003 unowned-path" in res.err
    soft = backend_project(str(tmp_path / "q"),
                           config="guard:\n  role: backend\n  unowned: warning\n")
    res = hook(soft.path, event("pre_tool_use_write", soft.path,
                                file_path=os.path.join(soft.path, "scripts/cleanup.sh")))
    assert res.code == 0 and "SCOPE003" in json.loads(res.out)["systemMessage"]


def test_relative_dotdot_and_subfolder_cwd_resolve_against_the_repository(repo):
    sub = os.path.join(repo.path, "src", "server")
    res = hook(repo.path, event("pre_tool_use_write", repo.path, cwd=sub,
                                file_path="../components/Nav.tsx"), cwd=sub)
    assert res.code == 2 and "src/components/Nav.tsx" in res.err
    res = hook(repo.path, event("pre_tool_use_write", repo.path, cwd=sub,
                                file_path="./handlers/../orders.py"), cwd=sub)
    assert res.code == 0, res


def test_write_through_symlink_into_forbidden_folder_is_blocked(repo):
    os.symlink("../components", os.path.join(repo.path, "src", "server", "ui"))
    res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                file_path=os.path.join(repo.path, "src/server/ui/New.tsx")))
    assert res.code == 2, res
    assert "src/components/New.tsx is on the do-not-touch list" in res.err


def test_symlinked_checkout_path_still_resolves(repo, tmp_path):
    link = str(tmp_path / "alias")
    os.symlink(repo.path, link)
    res = hook(repo.path, event("pre_tool_use_write", link, cwd=link,
                                file_path=os.path.join(link, "deploy/x.yaml")))
    assert res.code == 2 and "deploy/x.yaml" in res.err


def test_paths_outside_the_repository_and_ignored_paths_are_allowed(repo, tmp_path):
    res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                file_path=str(tmp_path / "notes.txt")))
    assert (res.code, res.out) == (0, "")
    repo.commit("chore: ignore build output", {".gitignore": "dist/\n"})
    res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                file_path=os.path.join(repo.path, "dist/bundle.js")))
    assert (res.code, res.out) == (0, ""), res


def test_a_tracked_file_the_ignore_rules_match_is_still_held(repo):
    """git ignores no tracked file: a forbidden file added with `git add -f` under an
    ignored folder reaches every diff, so a write to it is blocked; a new file beside it
    is ignored and allowed."""
    repo.commit("chore: ignore generated ui", {".gitignore": "src/components/gen/\n"})
    repo.write("src/components/gen/Kept.tsx", "x\n")
    repo.git("add", "-f", "src/components/gen/Kept.tsx")
    repo.commit("chore: keep one generated file", add_all=False)
    res = hook(repo.path, event("pre_tool_use_write", repo.path, file_path=os.path.join(
        repo.path, "src/components/gen/Kept.tsx")))
    assert res.code == 2 and "SCOPE001" in res.err, res
    res = hook(repo.path, event("pre_tool_use_write", repo.path, file_path=os.path.join(
        repo.path, "src/components/gen/New.tsx")))
    assert (res.code, res.out) == (0, ""), res


def test_policy_file_write_is_blocked(repo):
    res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                file_path=os.path.join(repo.path, "company.config.yaml")))
    assert res.code == 2 and "POLICY001" in res.err and "guard policy" in res.err
    res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                file_path=os.path.join(repo.path, ".claude/settings.json")))
    assert res.code == 2 and "POLICY001" in res.err


def test_edit_inside_the_git_folder_is_blocked_whatever_unowned_says(tmp_path):
    # .git/ never reaches a diff: at `unowned: warning` a Write to .git/hooks/pre-commit or
    # .git/config (turning the pre-commit check off, or git's output) was only a warning
    repo = backend_project(str(tmp_path / "p"),
                           config="guard:\n  role: backend\n  unowned: warning\n")
    for rel in (".git/hooks/pre-commit", ".git/config", ".git/info/attributes"):
        res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                    file_path=os.path.join(repo.path, rel)))
        assert res.code == 2 and f"{rel} is in git's own folder" in res.err, (rel, res)
    res = hook(repo.path, event("pre_tool_use_bash", repo.path,
                                command="echo '[core]' >> .git/config"))
    assert res.code == 2 and "POLICY001" in res.err, res


def test_ignored_policy_file_is_still_held(repo):
    # settings.local.json is usually git-ignored, and `disableAllHooks` there would switch
    # guard off: ignored or not, it is policy
    repo.commit("chore: ignore local settings", {".gitignore": ".claude/settings.local.json\n"})
    res = hook(repo.path, event("pre_tool_use_write", repo.path, file_path=os.path.join(
        repo.path, ".claude/settings.local.json")))
    assert res.code == 2 and "POLICY001" in res.err, res
    res = hook(repo.path, event("pre_tool_use_bash", repo.path,
                                command="echo '{\"disableAllHooks\": true}' > "
                                        ".claude/settings.local.json"))
    assert res.code == 2 and "POLICY001" in res.err, res
def test_policy_comes_from_the_base_branch_not_the_working_tree_or_head(repo):
    # an uncommitted edit that widens the agent's scope changes nothing for the hook
    with open(os.path.join(repo.path, "company.config.yaml"), "a") as fh:
        fh.write("  owned: [src/components/]\n")
    res = hook(repo.path, event("pre_tool_use_edit", repo.path))
    assert res.code == 2 and "SCOPE001" in res.err
    # nor does a loosening committed on the agent's own branch (at HEAD it would allow
    # the edit: the frontend role owns src/components/): policy comes from main
    repo.git("checkout", "-q", "--", "company.config.yaml")
    path = os.path.join(repo.path, "company.config.yaml")
    text = open(path).read()
    assert "role: backend" in text
    with open(path, "w") as fh:
        fh.write(text.replace("role: backend", "role: frontend"))
    repo.git("commit", "-q", "-am", "chore: switch my role")
    res = hook(repo.path, event("pre_tool_use_edit", repo.path))
    main = repo.git("rev-parse", "--short=8", "main")
    assert res.code == 2 and "SCOPE001" in res.err, res
    assert f"policy from the default branch main {main}" in res.err


def test_without_a_base_branch_the_policy_at_head_is_used_and_said(tmp_path):
    from gitrepo import backend_project
    repo = backend_project(str(tmp_path / "p"))
    repo.git("branch", "-m", "main", "old-main")      # no main/master/trunk/develop any more
    res = hook(repo.path, event("pre_tool_use_edit", repo.path))
    assert res.code == 2 and "SCOPE001" in res.err, res
    assert "(no base branch found)" in res.err and "policy from HEAD" in res.err


def test_trusted_suppression_applies(tmp_path):
    cfg = ("guard:\n  role: backend\n  ignore:\n    - {rule: SCOPE003, paths: [docs/], "
           "reason: docs are everyone's}\n")
    repo = backend_project(str(tmp_path / "p"), config=cfg)
    res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                file_path=os.path.join(repo.path, "docs/api.md")))
    assert (res.code, res.out) == (0, ""), res


# -- role ---------------------------------------------------------------------------------
def test_role_from_agent_type(tmp_path):
    repo = backend_project(str(tmp_path / "p"), config=NO_ROLE)
    repo.git("checkout", "-q", "-b", "feature/no-role-in-name")
    payload = event("pre_tool_use_edit", repo.path)          # agent_type engineering-backend
    res = hook(repo.path, payload)
    assert res.code == 2 and "agent_type 'engineering-backend' of the hook" in res.err
    # a frontend sub-agent may edit the same file
    res = hook(repo.path, event("pre_tool_use_edit", repo.path,
                                agent_type="engineering-frontend"))
    assert res.code == 0, res
    # --role wins over agent_type
    res = hook(repo.path, payload, "--role", "frontend")
    assert res.code == 0, res
    # a plugin's agent is named plugin:agent
    res = hook(repo.path, event("pre_tool_use_edit", repo.path,
                                agent_type="acme-agents:engineering-backend"))
    assert res.code == 2 and "agent_type 'engineering-backend'" in res.err


def test_unknown_agent_type_falls_back_to_branch_and_no_role_is_a_notice(tmp_path):
    repo = backend_project(str(tmp_path / "p"), config=NO_ROLE)   # branch agent/backend/task
    res = hook(repo.path, event("pre_tool_use_edit", repo.path, agent_type="Explore"))
    assert res.code == 2 and "branch name" in res.err
    repo.git("checkout", "-q", "-b", "feature/x")
    res = hook(repo.path, event("pre_tool_use_edit", repo.path, agent_type="Explore"))
    assert res.code == 0 and res.err.startswith("guard: notice: nothing checked — no role")


# -- PreToolUse: Bash ---------------------------------------------------------------------
@pytest.mark.parametrize("command,blocked", [
    ("npm run build > deploy/build.log 2>&1", "deploy/build.log"),
    ("echo '{}' | tee -a src/components/theme.json", "src/components/theme.json"),
    ("cp src/server/app.py src/components/", "src/components/app.py"),
    ("mv src/components/Button.tsx src/server/Button.tsx", "src/components/Button.tsx"),
    ("rm -rf src/components", "src/components"),
    ("sed -i 's/a/b/' .github/workflows/ci.yml", ".github/workflows/ci.yml"),
    ("git checkout main -- deploy/nginx.conf", "deploy/nginx.conf"),
    ("cd src && touch components/New.tsx", "src/components/New.tsx"),
    ("ln -s ../server/app.py src/components/app.py", "src/components/app.py"),
    ("git rm -q deploy/nginx.conf", "deploy/nginx.conf"),
    ("git mv src/server/app.py deploy/app.py", "deploy/app.py"),
])
def test_bash_obvious_writes_are_blocked(repo, command, blocked):
    res = hook(repo.path, event("pre_tool_use_bash", repo.path, command=command))
    assert res.code == 2, (command, res)
    assert f"{blocked} is on the do-not-touch list" in res.err
    assert res.err.startswith("guard: blocked — Bash `")


def test_bash_link_named_like_a_forbidden_folder_is_blocked(tmp_path):
    # `ln -s src/server/gh k8s` makes an owned folder's files a do-not-touch folder's; the
    # link's own path matched no folder pattern: only an unowned warning at `unowned: warning`
    repo = backend_project(str(tmp_path / "p"),
                           config="guard:\n  role: backend\n  unowned: warning\n")
    res = hook(repo.path, event("pre_tool_use_bash", repo.path, command="ln -s src/server k8s"))
    assert res.code == 2 and "k8s is on the do-not-touch list" in res.err, res
    res = hook(repo.path, event("pre_tool_use_bash", repo.path,
                                command="ln -s app.py src/server/main.py"))
    assert (res.code, res.err) == (0, ""), res


@pytest.mark.parametrize("command", [
    "pytest -q > /tmp/out.txt",
    "echo done >&2",
    "cat src/components/Button.tsx",
    "python -c \"open('src/components/x','w')\"",   # out of reach, documented
    "echo \">\" src/components/x",              # quoted operator
    "touch src/server/new.py",
    "git rm --cached deploy/nginx.conf",
    "git status > /dev/null",
])
def test_bash_allows_what_writes_nothing_guarded(repo, command):
    res = hook(repo.path, event("pre_tool_use_bash", repo.path, command=command))
    assert (res.code, res.out) == (0, ""), (command, res)


def test_bash_shared_write_gets_reminder(repo):
    res = hook(repo.path, event("pre_tool_use_bash", repo.path,
                                command="echo 'export type Id = string' >> src/types/id.ts"))
    assert res.code == 0 and "shared boundary" in json.loads(res.out)["systemMessage"]


# -- bad input and other events -----------------------------------------------------------
@pytest.mark.parametrize("payload,words", [
    ("{not json", "is not JSON at line 1"),
    ("[1, 2]", "a JSON list, not an object"),
    ('{"tool_name": "Write"}', "no hook_event_name"),
    ('{"hook_event_name": "PreToolUse", "tool_input": {"file_path": "x"}}', "no tool_name"),
    ('{"hook_event_name": "PreToolUse", "tool_name": ["Write"]}', "no tool_name"),
    ('{"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {}}',
     "no tool_input.file_path"),
])
def test_unusable_input_is_a_visible_non_blocking_error(repo, payload, words):
    res = hook(repo.path, payload)
    assert res.code == 1, res
    assert res.err.startswith("guard: hook error: ") and words in res.err
    assert len(res.err.strip().splitlines()) == 1


def test_broken_trusted_config_is_a_hook_error_not_a_block(tmp_path):
    repo = backend_project(str(tmp_path / "p"), config="guard:\n  role: backend\n  ownd: []\n")
    res = hook(repo.path, event("pre_tool_use_edit", repo.path))
    assert res.code == 1 and "company.config.yaml:3" in res.err and "did you mean" in res.err
    # a write outside the repository never reads the policy at all
    res = hook(repo.path, event("pre_tool_use_write", repo.path,
                                file_path=str(tmp_path / "scratch.txt")))
    assert (res.code, res.err) == (0, "")


def test_other_events_and_tools_pass(repo):
    assert hook(repo.path, event("user_prompt_submit", repo.path)).code == 0
    read = event("pre_tool_use_write", repo.path, tool_name="Read")
    read["tool_input"] = {"file_path": os.path.join(repo.path, "src/components/Button.tsx")}
    assert hook(repo.path, read).code == 0


def test_not_a_repository_is_a_notice(tmp_path):
    folder = str(tmp_path / "plain")
    os.makedirs(folder)
    res = hook(folder, event("pre_tool_use_write", folder))
    assert res.code == 0 and "not a git repository" in res.err


# -- Stop / SubagentStop ------------------------------------------------------------------
def test_stop_blocks_while_errors_remain_in_branch_or_working_tree(repo):
    repo.commit("feat(api): orders", {"src/api/orders.py": "x\n"})
    repo.write("src/components/Button.tsx", "changed but not committed\n")
    repo.write("scripts/new.sh", "echo untracked\n")
    res = hook(repo.path, event("stop", repo.path))
    assert res.code == 2, res
    lines = res.err.splitlines()
    assert lines[0].startswith("guard: not done yet")
    assert lines[1].startswith("guard FAILED: ") and "uncommitted work" in lines[1]
    # the other fast checks registered in this guard version may add their own lines
    mine = [line for line in lines[2:] if " SCOPE" in line]
    assert mine[0].startswith("scripts/new.sh SCOPE003 error: ")
    assert mine[1].startswith("src/components/Button.tsx SCOPE001 error: ")
    assert " → revert src/components/Button.tsx: owned by Riley (Frontend Engineer)" in mine[1]
    assert len(mine) == 2
    severities = [line.split(" ")[2] for line in lines[2:]]
    assert severities == sorted(severities, key=["error:", "warning:", "info:"].index)


def test_stop_respects_stop_hook_active(repo):
    repo.write("src/components/Button.tsx", "changed\n")
    res = hook(repo.path, event("stop", repo.path, stop_hook_active=True))
    assert (res.code, res.out, res.err) == (0, "", "")


def test_stop_passes_when_clean_and_after_the_fix(repo):
    repo.commit("feat(api): orders", {"src/api/orders.py": "x\n"})
    assert hook(repo.path, event("stop", repo.path)).code == 0
    repo.write("src/components/Button.tsx", "oops\n")
    assert hook(repo.path, event("subagent_stop", repo.path)).code == 2
    repo.git("checkout", "--", "src/components/Button.tsx")
    res = hook(repo.path, event("subagent_stop", repo.path))
    assert (res.code, res.err) == (0, ""), res


def test_subagent_stop_role_from_agent_type(tmp_path):
    repo = backend_project(str(tmp_path / "p"), config=NO_ROLE)
    repo.git("checkout", "-q", "-b", "feature/x")
    repo.commit("feat(ui): button", {"src/components/Button.tsx": "y\n"})
    res = hook(repo.path, event("subagent_stop", repo.path))
    assert res.code == 2 and "src/components/Button.tsx SCOPE001" in res.err
    res = hook(repo.path, event("subagent_stop", repo.path, agent_type="engineering-frontend"))
    assert res.code == 0, res


def test_stop_without_base_blocks_and_without_role_is_a_notice(tmp_path):
    repo = Repo.init(str(tmp_path / "p"), branch="trunk-less")
    repo.commit("chore: base", {"company.config.yaml": NO_ROLE})
    repo.git("checkout", "-q", "--detach")
    res = hook(repo.path, event("stop", repo.path))       # fail closed: held, with why
    assert res.code == 2 and "could not be checked: HEAD is detached" in res.err
    repo2 = backend_project(str(tmp_path / "q"), config=NO_ROLE)
    repo2.git("checkout", "-q", "-b", "feature/x")
    res = hook(repo2.path, event("stop", repo2.path, agent_type=None))
    assert res.code == 0 and "no role" in res.err


def test_stop_output_is_capped(repo):
    # 13 + 12 findings of two rules: each rule too few to be grouped (more than 20 would be
    # one line per folder, tests/test_report_grouping.py), together over the cap of 20
    for i in range(13):
        repo.write(f"src/components/C{i:02d}.tsx", "x\n")
        if i < 12:
            repo.write(f"docs/D{i:02d}.md", "x\n")
    res = hook(repo.path, event("stop", repo.path))
    assert res.code == 2
    lines = res.err.splitlines()
    assert len(lines) == 2 + 20 + 1
    more = int(lines[-1].split(" ")[1])
    assert more >= 5 and lines[-1] == f"… {more} more (run `guard check`)"
    assert lines[1].startswith(f"guard FAILED: {20 + more - _non_errors(lines)} error(s)")


def _non_errors(lines):
    counts = lines[1].split(": ", 1)[1].split(" · ")[0]     # "25 error(s), 1 warning(s), 2 info"
    numbers = [int(part.strip().split(" ")[0]) for part in counts.split(",")]
    return numbers[1] + numbers[2]


# -- --format agent -----------------------------------------------------------------------
def test_format_agent_is_compact_and_deterministic(repo):
    repo.commit("feat: mixed", {"src/types/order.ts": "export type Order = {id: 1}\n",
                                "src/components/Button.tsx": "y\n", "docs/x.md": "d\n"})
    runs = [run_guard("check", "--base", "main", "--only", "scope", "--format", "agent",
                      cwd=repo.path)
            for _ in range(2)]
    assert runs[0].out == runs[1].out and runs[0].code == 1
    lines = runs[0].out.splitlines()
    assert lines[0].startswith("guard FAILED: 2 error(s), 1 warning(s), 0 info · role backend")
    assert [line.split(" ")[1:3] for line in lines[1:]] == [
        ["SCOPE003", "error:"], ["SCOPE001", "error:"], ["SCOPE002", "warning:"]]
    assert lines[1].startswith("docs/x.md SCOPE003 error: docs/x.md (added)")
    assert all(" → " in line for line in lines[1:])


# -- guard init --claude ------------------------------------------------------------------
def _settings(repo) -> dict:
    with open(os.path.join(repo.path, ".claude", "settings.json"), encoding="utf-8") as fh:
        return json.load(fh)


def _guard_groups(data: dict, event_name: str) -> list:
    return [g for g in data["hooks"].get(event_name, [])
            if any(h.get("command") == "guard hook claude" for h in g["hooks"])]


def test_init_claude_writes_fresh_settings(repo):
    res = run_guard("init", "--claude", cwd=repo.path)
    assert res.code == 0, res.err
    assert "added `guard hook claude` to PreToolUse, Stop, SubagentStop" in res.out
    data = _settings(repo)
    printed = json.loads(run_guard("init", "--claude", "--print", cwd=repo.path).out)
    assert data == printed
    assert _guard_groups(data, "PreToolUse")[0]["matcher"] == \
        "Write|Edit|MultiEdit|NotebookEdit|Bash"
    assert "matcher" not in _guard_groups(data, "Stop")[0]


def test_init_claude_suggests_the_untracked_cache_until_it_is_on(repo):
    tip = "tip: `git config core.untrackedCache true`"
    assert tip in run_guard("init", "--claude", cwd=repo.path).out
    repo.git("config", "core.untrackedCache", "true")
    res = run_guard("init", "--claude", cwd=repo.path)
    assert res.code == 0 and "already there" in res.out and tip not in res.out


def test_init_claude_merges_without_clobbering_and_is_idempotent(repo):
    existing = {
        "permissions": {"allow": ["Bash(npm test:*)"], "deny": ["Read(./.env)"]},
        "env": {"API_PORT": "8000"},
        "hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [
                {"type": "command", "command": "./tools/ci/check-bash.sh", "timeout": 10}]}],
            "PostToolUse": [{"matcher": "Write|Edit", "hooks": [
                {"type": "command", "command": "npx prettier --write"}]}],
            "Stop": [{"hooks": [{"type": "command",
                                 "command": "guard  hook claude --role backend"}]}],
        },
        "model": "sonnet",
    }
    repo.write(".claude/settings.json", json.dumps(existing, indent=4))
    res = run_guard("init", "--claude", cwd=repo.path)
    assert res.code == 0, res.err
    assert "added `guard hook claude` to PreToolUse, SubagentStop" in res.out
    assert "already there: Stop" in res.out
    data = _settings(repo)
    assert list(data) == ["permissions", "env", "hooks", "model"]      # order kept
    assert data["permissions"] == existing["permissions"] and data["env"] == existing["env"]
    assert data["hooks"]["PostToolUse"] == existing["hooks"]["PostToolUse"]
    assert data["hooks"]["Stop"] == existing["hooks"]["Stop"]           # not duplicated
    assert data["hooks"]["PreToolUse"][0] == existing["hooks"]["PreToolUse"][0]
    assert len(_guard_groups(data, "PreToolUse")) == 1
    before = open(os.path.join(repo.path, ".claude", "settings.json")).read()
    res = run_guard("init", "--claude", cwd=repo.path)
    assert res.code == 0 and "already there: PreToolUse, Stop, SubagentStop" in res.out
    assert open(os.path.join(repo.path, ".claude", "settings.json")).read() == before


@pytest.mark.parametrize("content,where", [
    ('{\n  "permissions": {\n    "allow": [,]\n  }\n}\n',
     ".claude/settings.json:3: not valid JSON"),
    ('[]\n', ".claude/settings.json:1: the settings file is a JSON list"),
    ('{"hooks": {"Stop": {"hooks": []}}}', "hooks.Stop is a JSON dict, not a list"),
    # kept as they were, these made Claude Code refuse the file and run no hook at all,
    # while guard said it had added its hooks
    ('{"hooks": {"PreToolUse": [5]}}', "hooks.PreToolUse[0] is a JSON int, not an object"),
    ('{"hooks": {"Stop": [{"hooks": []}, {"hooks": "guard hook claude"}]}}',
     "hooks.Stop[1].hooks is a JSON str, not a list"),
    ('{"hooks": {"Stop": [{"command": "x"}]}}', "hooks.Stop[0].hooks is a JSON NoneType"),
    ('{"hooks": {"PreToolUse": [{"matcher": {"tools": ["Write"]}, "hooks": []}]}}',
     "hooks.PreToolUse[0].matcher is a JSON dict, not a string"),
])
def test_init_claude_refuses_broken_settings(repo, content, where):
    repo.write(".claude/settings.json", content)
    res = run_guard("init", "--claude", cwd=repo.path)
    assert res.code == 2 and where in res.err, res
    assert len(res.err.strip().splitlines()) == 1
    assert open(os.path.join(repo.path, ".claude", "settings.json")).read() == content


@pytest.mark.parametrize("kind, needles", [
    # it printed the raw exception: "cannot read the Claude Code settings: [Errno 21] Is a
    # directory: '/…/.claude/settings.json'", and no next step
    ("settings-folder", [".claude/settings.json: is a folder, not a settings file",
                         "move the folder away"]),
    # a file where the folder should be was an internal error (FileExistsError)
    ("claude-file", [".claude: .claude is a file, not a folder", "move the file away"]),
    ("not-utf8", [".claude/settings.json: the Claude Code settings are not valid UTF-8",
                  "save it as UTF-8 JSON"]),
])
def test_init_claude_settings_it_cannot_read(repo, kind, needles):
    settings = os.path.join(repo.path, ".claude", "settings.json")
    if kind == "settings-folder":
        os.makedirs(settings)
    elif kind == "claude-file":
        repo.write(".claude", "not a folder\n")
    else:
        repo.write(".claude/settings.json", b"\xff{}")
    res = run_guard("init", "--claude", cwd=repo.path)
    assert res.code == 2 and res.out == "" and "Traceback" not in res.err, res
    assert len(res.err.strip().splitlines()) == 1 and "Errno" not in res.err, res.err
    for needle in needles + ["run `guard init --claude` again"]:
        assert needle in res.err, res.err


def test_docs_show_the_block_init_writes():
    from guard.agent.settings import block
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = open(os.path.join(root, "docs", "integrations.md"), encoding="utf-8").read()
    section = text.split("## Claude Code hooks")[1]
    shown = section.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(shown) == block()


def test_settings_written_by_init_drive_the_hooks_as_claude_code_runs_them(repo):
    """Claude Code picks the groups whose matcher matches the tool name and runs each
    command through a shell with the event on stdin; do that with the written file."""
    import re
    import subprocess
    import sys

    from gitrepo import git_env

    repo.checkout("main")                     # hooks are policy: set up on the base branch
    assert run_guard("init", "--claude", cwd=repo.path).code == 0
    settings = _settings(repo)
    repo.commit("chore: claude code hooks", {})
    repo.checkout("agent/backend/task")
    repo.git("merge", "-q", "--ff-only", "main")
    env = git_env()
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")

    def fire(payload: dict) -> list[int]:
        codes = []
        for group in settings["hooks"].get(payload["hook_event_name"], []):
            matcher = group.get("matcher")
            if matcher and not re.fullmatch(matcher, payload.get("tool_name", "")):
                continue
            for entry in group["hooks"]:
                proc = subprocess.run(["sh", "-c", entry["command"]], cwd=repo.path, env=env,
                                      input=json.dumps(payload), capture_output=True, text=True)
                codes.append(proc.returncode)
        return codes

    assert fire(event("pre_tool_use_edit", repo.path)) == [2]
    assert fire(event("pre_tool_use_write", repo.path)) == [0]
    assert fire(event("pre_tool_use_bash", repo.path)) == [2]
    read = event("pre_tool_use_write", repo.path, tool_name="Read")
    assert fire(read) == []                   # not matched: guard is not even started
    assert fire(event("stop", repo.path)) == [0]
    repo.write("deploy/new.yaml", "x: 1\n")
    assert fire(event("subagent_stop", repo.path)) == [2]


def test_docs_blocked_write_example_is_what_the_hook_prints(repo):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = open(os.path.join(root, "docs", "integrations.md"), encoding="utf-8").read()
    section = text.split("## Claude Code hooks")[1]
    example = section.split("exactly as the agent\nsees it on stderr:\n\n```\n", 1)[1]
    example = example.split("```", 1)[0]
    res = hook(repo.path, event("pre_tool_use_edit", repo.path))
    main = repo.git("rev-parse", "--short=8", "main")
    assert res.code == 2
    assert res.err == example.replace("main 89a05ec1", f"main {main}")


def test_typo_in_the_hook_command_line_does_not_block(tmp_path):
    from gitrepo import run_guard
    res = run_guard("hook", "claude", "--rol", "backend", cwd=str(tmp_path), input="{}")
    assert res.code == 1 and "guard: error:" in res.err


@pytest.mark.parametrize("args, role", [
    (["hook", "claude"], None), (["hook", "claude", "--role", "frontend"], "frontend"),
    (["hook", "claude", "--role=frontend"], "frontend"),
    (["hook", "claude", "--role"], False), (["hook", "claude", "--role="], False),
    (["hook", "claude", "--role", ""], False), (["hook", "claude", "--role= "], False),
    (["hook", "claude", "--role", "-x"], False), (["hook", "claude", "--rol", "x"], False),
    (["hook", "claude", "--help"], False), (["--debug", "hook", "claude"], False),
    (["hook", "commit-msg", "f"], False), (["check"], False), ([], False)])
def test_console_sends_only_plain_hook_command_lines_past_click(args, role):
    from guard.console import hook_role
    assert hook_role(args) == role


def test_hook_answers_without_importing_click_and_as_click_would(repo):
    """`guard hook claude` is on every tool call: no command-line framework import; the
    same answers as through guard.cli."""
    payload = json.dumps(event("pre_tool_use_edit", repo.path))
    code = ("import sys\nfrom guard.{mod} import main\nrc = main({args!r})\n"
            "print('CLICK', 'click' in sys.modules, 'RC', rc, file=sys.stderr)\n")
    import subprocess
    import sys

    from gitrepo import git_env
    for args in (["hook", "claude"], ["hook", "claude", "--role=frontend"]):
        got = {}
        for mod in ("console", "cli"):
            proc = subprocess.run([sys.executable, "-c", code.format(mod=mod, args=args)],
                                  input=payload, capture_output=True, text=True,
                                  cwd=repo.path, env=git_env())
            got[mod] = proc.stderr
        assert got["console"].endswith("CLICK False RC %d\n" % (2 if len(args) == 2 else 0))
        assert got["console"].replace("CLICK False", "CLICK True") == got["cli"]


def test_hook_tunes_the_collector_for_its_run_and_restores_it(repo):
    """console.main runs the hook with the young generation raised (a hook builds thousands
    of objects and few cycles) and, when the process ends next, freezes what it built so
    the last collection at exit skips it; called in-process, it leaves both as they were."""
    payload = json.dumps(event("pre_tool_use_edit", repo.path))
    code = ("import gc, sys\nfrom guard import console\nfrom guard.agent import claude\n"
            "seen = []\nreal = claude.main\n"
            "claude.main = lambda role=None: seen.append(gc.get_threshold()[0]) or real(role)\n"
            "before = gc.get_threshold()\nrc = console.main(['hook', 'claude'])\n"
            "print('IN', seen, gc.get_threshold() == before, gc.get_freeze_count(), rc, "
            "file=sys.stderr)\n")
    import subprocess
    import sys

    from gitrepo import git_env
    proc = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True,
                          text=True, cwd=repo.path, env=git_env())
    assert "IN [50000] True 0 2\n" in proc.stderr, proc.stderr
    # as the console script calls it (argv None): the run's objects are frozen at the end
    ends = ("import gc, sys\nfrom guard import console\nsys.argv = ['guard', 'hook', 'claude']\n"
            "rc = console.main()\nprint('END', gc.get_freeze_count() > 0, rc, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", ends], input=payload, capture_output=True,
                          text=True, cwd=repo.path, env=git_env())
    assert proc.stderr.endswith("END True 2\n"), proc.stderr
