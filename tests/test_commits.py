"""The commits check on real repositories: styles, hygiene, merges, reverts, trailers, dirty
trees, atomicity, shallow clones, bad configuration, and the commit-msg hook through git."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

from gitrepo import Repo, backend_project, run_guard

CONFIG = """\
conventions:
  commit_style: {style}
guard:
  role: backend
{extra}"""


def project(tmp_path, style="conventional", extra="", name="p") -> Repo:
    return backend_project(str(tmp_path / name), config=CONFIG.format(style=style, extra=extra))


def check(repo, *args, only="commits"):
    res = run_guard("check", "--format", "json", "--base", "main", "--only", only, *args,
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)


def per_commit(data) -> dict[str, set[str]]:
    return {c["header"]: set(c["findings"]) for c in data["commits"]}


def run_cases(repo, cases):
    for message, _expected in cases:
        repo.commit(message)
    data = check(repo)
    got = per_commit(data)
    assert data["summary"]["commits"] == len(cases)
    for message, expected in cases:
        header = message.split("\n", 1)[0].rstrip()
        assert got[header] == set(expected), (message, got[header])
    return data


CONVENTIONAL_CASES = [
    ("feat(api): add orders endpoint", []),
    ("fix: reject negative totals\n\nThe API accepted -1.\n\nRefs: TASK-3", []),
    ("feat(api)!: drop v1 orders\n\nBREAKING CHANGE: v1 clients must move to v2", []),
    ("Feat(API): case-insensitive type, as the spec says", []),
    ("Added orders endpoint", ["COMMIT001"]),
    ("feature(api): add the orders list", ["COMMIT002"]),
    ("feat(api):add the orders filter", ["COMMIT001"]),
    ("feat():  empty scope", ["COMMIT001"]),
    ("fix(api) : reject empty carts", ["COMMIT001"]),
    ("fix:", ["COMMIT005"]),
    ("feat(api): add orders paging.", ["COMMIT013"]),
    ("feat(api): " + "a very long header " * 4, ["COMMIT004"]),
    ("feat(api): add order search\nbody glued to the header", ["COMMIT006"]),
    ("docs: explain paging\n\n" + "word " * 30, ["COMMIT007"]),
    ("docs: link the design\n\nSee https://example.com/" + "a" * 120, []),
    ("WIP orders export", ["COMMIT008"]),
    ("fix: tmp", ["COMMIT008"]),
    ("feat: temp hack for the demo", ["COMMIT008"]),
    ("feat(db): temp tables for reports", []),
    ("feat(api): add cancel\n\nbreaking change: cancel is final", ["COMMIT015"]),
    ("feat(api): add refunds\n\nBREAKING CHANGE:", ["COMMIT015"]),
]


def test_conventional_style(tmp_path):
    repo = project(tmp_path)
    data = run_cases(repo, CONVENTIONAL_CASES)
    assert data["facts"]["commits"]["style"] == "conventional"
    def about(text):
        return next(f for f in data["findings"] if text in f["message"])
    # what, where (commit) and a derived header in the hint
    f001 = about("Added orders endpoint")
    assert f001["message"].startswith("commit ") and f001["rule"] == "COMMIT001"
    assert "feat: add orders endpoint" in f001["hint"]
    assert "`feat(api): add the orders list`" in about("feature(api)")["hint"]
    assert "`feat(api): add orders paging`" in about("orders paging.")["hint"]
    assert "`feat(api): add the orders filter`" in about("feat(api):add")["hint"]
    assert "`fix(api): reject empty carts`" in about("fix(api) :")["hint"]
    assert data["failed"] is True


@pytest.mark.parametrize("style, header, fixed", [
    ("conventional", "Added the post endpoint.", "feat: add the post endpoint"),
    ("conventional", "feature(api): add the orders list.", "feat(api): add the orders list"),
    ("angular", "Feature(api): Add the list.", "feat(api): add the list"),
    ("plain", "added the post endpoint.", "Add the post endpoint"),
    ("gitmoji", "fix: paging is off by one.", ":bug: paging is off by one"),
])
def test_the_hints_propose_one_header(tmp_path, style, header, fixed):
    """Each finding on the header proposes the same whole header, one that fixes them all:
    not COMMIT001's `feat: add the post endpoint` beside COMMIT013's `Added the post
    endpoint` (which still fails COMMIT001)."""
    repo = project(tmp_path, style=style)
    repo.commit(header)
    data = check(repo)
    hints = {f["rule"]: f["hint"] for f in data["findings"]}
    assert len(hints) >= 2 and "COMMIT013" in hints, hints
    for rule, hint in hints.items():
        proposed = re.findall(r"`([^`]*)`", hint)
        assert proposed == [fixed], (rule, hint)
    again = project(tmp_path, style=style, name="q")       # and that header passes
    again.commit(fixed)
    assert check(again)["findings"] == []


def test_default_style_is_conventional_and_scopes(tmp_path):
    repo = backend_project(str(tmp_path / "p"), config=(
        "conventions:\n  commit_scopes: [api, db]\nguard:\n  role: backend\n"
        "  commits:\n    extra_types: [deps]\n"))
    data = run_cases(repo, [
        ("feat(api): add orders", []),
        ("deps: bump fastapi", []),
        ("feat(ui): add a button", ["COMMIT003"]),
        ("feat(apl): typo in the scope", ["COMMIT003"]),
        ("feat(api,db): touch both", []),
    ])
    assert data["facts"]["commits"]["style"] == "conventional"
    hint = next(f["hint"] for f in data["findings"] if "apl" in f["message"])
    assert "feat(api): typo in the scope" in hint


def test_scope_required(tmp_path):
    repo = project(tmp_path, extra="  commits:\n    scope_required: true\n")
    run_cases(repo, [("feat(api): add orders", []), ("feat: add a thing", ["COMMIT003"])])


def test_angular_style(tmp_path):
    repo = project(tmp_path, style="angular")
    run_cases(repo, [
        ("feat(api): add orders endpoint", []),
        ("revert: feat(api): add orders\n\nThis reverts commit 1234567.", []),
        ("chore: tidy the makefile", ["COMMIT002"]),
        ("feat(api): Add the orders list", ["COMMIT016"]),
        ("Add orders", ["COMMIT001"]),
    ])


def test_gitmoji_style(tmp_path):
    repo = project(tmp_path, style="gitmoji")
    data = run_cases(repo, [
        ("\u2728 add orders endpoint", []),
        ("\u26a1\ufe0f speed up the orders list", []),
        ("\u26a1 speed up the orders search", []),
        (":sparkles: add the orders list", []),
        (":bug: (api): fix paging", []),
        (":sparkle: add the orders filter", ["COMMIT002"]),
        ("fix: paging is off by one", ["COMMIT001"]),
        ("\U0001f6a7 orders export", ["COMMIT008"]),
        ("\u2728add search", ["COMMIT001"]),
        # emoji gitmoji.dev does not list (fastapi/full-stack-fastapi-template's history)
        ("\U0001f433 Include frontend assets in the Docker build context", ["COMMIT002"]),
        ("\u2601\ufe0f Add the cloud deployment", ["COMMIT002"]),
    ])
    hint = next(f["hint"] for f in data["findings"] if "off by one" in f["message"])
    assert ":bug: paging is off by one" in hint
    whale = next(f for f in data["findings"] if "Docker build" in f["message"])
    assert "\U0001f433 is not a gitmoji" in whale["message"]
    # the hint replaces the emoji instead of putting a second one in front of it
    assert whale["hint"].endswith(" Include frontend assets in the Docker build context`")
    assert "\U0001f433" not in whale["hint"]


def test_plain_style(tmp_path):
    repo = project(tmp_path, style="plain")
    data = run_cases(repo, [
        ("Add orders endpoint", []),
        ("add the orders list", ["COMMIT016"]),
        ("Added the orders filter", ["COMMIT017"]),
        ("Fixes the paging bug", ["COMMIT017"]),
        ("Add orders search.", ["COMMIT013"]),
        ("WIP", ["COMMIT008"]),
    ])
    hints = {f["rule"]: f["hint"] for f in data["findings"]}
    assert "`Add the orders filter`" in hints["COMMIT017"] or "`Fix the paging bug`" in \
        hints["COMMIT017"]


def test_custom_style_shows_the_example(tmp_path):
    repo = project(tmp_path, style="custom", extra=(
        "  commits:\n    pattern: '^[A-Z]+-[0-9]+: .+$'\n    example: 'SHOP-12: add orders'\n"))
    data = run_cases(repo, [("SHOP-7: add orders endpoint", []),
                            ("add orders endpoint", ["COMMIT001"])])
    assert "SHOP-12: add orders" in data["findings"][0]["hint"]


# -- trailers -------------------------------------------------------------------------------
TRAILER_MESSAGES = [
    "feat: x\n\nSigned-off-by: A <a@example.invalid>",
    "feat: x\n\nbody text\n\nAgent-Role: backend\nRefs: TASK-1",
    "feat: x\n\nAgent-Role: backend\nnot a trailer line",
    "feat: x\n\nSigned-off-by: A <a@x>\nnot a trailer line\nalso not",
    "feat: x\n\nSigned-off-by: A <a@x>\nnot a trailer\nno\nno\nno",
    "feat: x\n\nKey : spaced separator\nLong: value\n  continued here",
    "Agent-Role: backend",
    "feat: x\n\nBREAKING CHANGE: not a git trailer",
    "feat: x\n\nbody\nAgent-Role: backend",
    "feat: x\n\n(cherry picked from commit abc)\nfree text",
]


@pytest.mark.parametrize("message", TRAILER_MESSAGES)
def test_trailers_parsed_like_git(tmp_repo, message):
    from guard import commitmsg
    proc = subprocess.run(["git", "interpret-trailers", "--parse"], input=message.encode(),
                          capture_output=True, cwd=tmp_repo.path, env=tmp_repo.env, check=True)
    expected = [tuple(part.strip() for part in line.split(":", 1))
                for line in proc.stdout.decode().splitlines() if line.strip()]
    got = [(t.key, t.value) for t in commitmsg.parse(message).trailers]
    assert got == expected


@pytest.mark.parametrize("text", [
    "feat: x\n# a comment\n\n\n\nbody  \n# more\n",
    "\n\nfeat: y\n\n#not kept\n# ------------------------ >8 ------------------------\nWIP\n",
    "fix: z\n\n  indented\n\n",
])
def test_comment_stripping_matches_git(tmp_repo, text):
    from guard import commitmsg
    proc = subprocess.run(["git", "stripspace", "--strip-comments"], input=text.encode(),
                          capture_output=True, cwd=tmp_repo.path, env=tmp_repo.env, check=True)
    expected = proc.stdout.decode().rstrip("\n")
    if "------------------------ >8" in text:        # scissors: git commit cuts there first
        expected = expected.split("WIP")[0].rstrip("\n")
    assert commitmsg.strip_comments(text) == expected


def test_required_trailers(tmp_path):
    repo = project(tmp_path, extra="  commits:\n    trailers: [Signed-off-by, Agent-Role]\n")
    data = run_cases(repo, [
        ("feat: add a\n\nSigned-off-by: A <a@example.invalid>\nAgent-Role: backend", []),
        ("feat: add b\n\nsigned-off-by: A <a@example.invalid>\nagent-role: backend", []),
        ("feat: add c\n\nSigned-off-by: A <a@example.invalid>", ["COMMIT010"]),
        ("feat: add d\n\nAgent-Role: backend mentioned in prose, no trailer block\nprose",
         ["COMMIT010"]),
    ])
    missing = [f["message"] for f in data["findings"] if f["rule"] == "COMMIT010"]
    assert any("`Agent-Role:`" in m and "add c" in m for m in missing)
    assert sum("add d" in m for m in missing) == 2


# -- merges and reverts ------------------------------------------------------------------------
def _merge_project(tmp_path, extra=""):
    repo = project(tmp_path, extra=extra)
    repo.commit("feat(api): add orders", {"src/api/orders.py": "x = 1\n"})
    repo.checkout("main")
    repo.commit("docs: main moves on", {"docs/a.md": "a\n"})
    repo.checkout("agent/backend/task")
    repo.git("merge", "--no-edit", "-q", "main")
    return repo


def test_merge_from_base_is_a_warning(tmp_path):
    data = check(_merge_project(tmp_path))
    merges = [f for f in data["findings"] if f["rule"] == "COMMIT009"]
    assert len(merges) == 1 and merges[0]["severity"] == "warning"
    assert "merges the base into the branch" in merges[0]["message"]
    assert "git rebase main" in merges[0]["hint"]
    assert {f["rule"] for f in data["findings"]} == {"COMMIT009"}   # the header is not judged
    assert data["failed"] is False


def test_merges_are_told_apart_with_one_git_process(tmp_path):
    """Six merges (two from the base, four of side branches): each is labelled right, and
    no git process is spawned per merge (GIT_TRACE logs every git command guard runs)."""
    repo = project(tmp_path)
    repo.commit("feat(api): add orders", {"src/api/orders.py": "x = 1\n"})
    for i in range(6):
        if i % 3 == 0:
            repo.checkout("main")
            repo.commit(f"docs: main moves on {i}", {f"docs/{i}.md": "a\n"})
            repo.checkout("agent/backend/task")
            repo.git("merge", "--no-edit", "-q", "main")
        else:
            repo.branch(f"side{i}")
            repo.commit(f"feat(api): side {i}", {f"src/api/s{i}.py": "x = 1\n"})
            repo.checkout("agent/backend/task")
            repo.git("merge", "--no-ff", "--no-edit", "-q", f"side{i}")
    trace = tmp_path / "trace.log"
    res = run_guard("check", "--format", "json", "--base", "main", "--only", "commits",
                    cwd=repo.path, env={"GIT_TRACE": str(trace)})
    data = json.loads(res.out)
    whats = sorted(f["message"].rsplit(": ", 1)[1] for f in data["findings"]
                   if f["rule"] == "COMMIT009")
    assert whats == ["is a merge commit"] * 4 + ["merges the base into the branch"] * 2
    commands = [line for line in trace.read_text().splitlines() if "built-in: git" in line]
    assert not [c for c in commands if "merge-base --is-ancestor" in c]
    assert sum(" rev-list " in c for c in commands) <= 1


@pytest.mark.parametrize("level,expected", [("error", "error"), ("off", None)])
def test_merge_severity_configurable(tmp_path, level, expected):
    data = check(_merge_project(tmp_path, extra=f"  commits:\n    merge_commits: {level}\n"))
    merges = [f["severity"] for f in data["findings"] if f["rule"] == "COMMIT009"]
    assert merges == ([expected] if expected else [])


def test_revert_commits_are_checked(tmp_path):
    repo = project(tmp_path)
    sha = repo.commit("feat(api): add orders", {"src/api/orders.py": "x = 1\n"})
    repo.git("revert", "--no-edit", sha)                # git's own form: passes
    repo.commit("feat(api): add orders again", {"src/api/orders.py": "x = 2\n"})
    second = repo.git("rev-parse", "HEAD")
    repo.git("revert", "--no-edit", second)
    repo.git("commit", "--amend", "-q", "-m", 'Revert "feat(api): add orders again"')
    repo.commit('Revert "WIP orders"\n\nThis reverts commit 1234567.')
    repo.commit('Revert "feat(api): ' + "long " * 15 + '"\n\nThis reverts commit 1234567.')
    got = per_commit(check(repo))
    assert got['Revert "feat(api): add orders"'] == set()
    assert got['Revert "feat(api): add orders again"'] == {"COMMIT014"}
    assert got['Revert "WIP orders"'] == {"COMMIT001"}         # the reverted header is judged
    assert "COMMIT004" in next(v for k, v in got.items() if "long long" in k)


def test_forge_revert_and_merge_forms(tmp_path):
    """GitHub's and GitLab's reverts (squash-merged with their PR number) and the merge headers
    git, GitHub and GitLab write: no COMMIT001, and no hint that proposes `feat: revert`."""
    repo = project(tmp_path)
    sha = repo.commit("fix(api): reject negative totals (#4671)", {"src/api/o.py": "x = 1\n"})
    repo.git("revert", "--no-edit", sha)
    reverted = repo.git("log", "-1", "--format=%B").strip()
    repo.git("commit", "--amend", "-q", "-m",            # GitHub's squash merge of the revert
             reverted.replace('totals (#4671)"', 'totals (#4671)" (#4677)', 1))
    repo.git("revert", "--no-edit", "HEAD")              # git 2.43+ writes `Reapply "..."`
    repo.commit('Revert "Revert "feat(api): add orders""\n\nThis reverts commit 89abcdef.')
    repo.commit('Revert "feat(api): add orders" (!12)\n\nThis reverts commit 1234567.')
    repo.commit('Revert "fix(api): drop the cache" (#88)\n\nReverts vitejs/vite#80')
    headers = ["Merge pull request #12 from owner/agent-branch", "Merge branch 'x' into 'main'",
               "Merge remote-tracking branch 'origin/main' into agent",
               "Merge branch 'main' of github.com:owner/repo"]
    for header in headers:          # one parent: not a merge, so the header is styled
        repo.commit(f"{header}\n\nfeat(api): the merged work")
    repo.commit("Revert the cache change")
    data = check(repo)
    got = per_commit(data)
    assert got['Revert "fix(api): reject negative totals (#4671)" (#4677)'] == set()
    assert len([h for h in got if h.startswith(("Reapply ", "Revert \"Revert"))]) == 2
    assert all(not v for k, v in got.items() if k.startswith(("Reapply ", "Revert \"Revert")))
    assert got['Revert "feat(api): add orders" (!12)'] == set()
    assert got['Revert "fix(api): drop the cache" (#88)'] == set()
    for header in headers:
        assert "COMMIT001" in got[header], header
    assert got["Revert the cache change"] == {"COMMIT001"}
    hints = [f["hint"] for f in data["findings"]]
    assert not [h for h in hints if "feat: revert" in h]
    assert any("`revert: the cache change`" in h for h in hints)


def test_revert_header_limit_is_the_reverted_header(tmp_path):
    """git and the forge write `Revert "..." (#N)` around the header; the limit holds for the
    header it quotes."""
    repo = project(tmp_path)
    fits = "fix(api): " + "x" * 50 + " (#4671)"                        # 68 characters
    repo.commit(f'Revert "{fits}" (#4677)\n\nThis reverts commit 1234567.')
    data = check(repo)
    assert per_commit(data)[f'Revert "{fits}" (#4677)'] == set()


# -- hygiene: fixup commits in both modes ------------------------------------------------------
def _install_hook(repo: Repo) -> None:
    hooks = os.path.join(repo.path, ".git", "guard-hooks")
    os.makedirs(hooks, exist_ok=True)
    script = os.path.join(hooks, "commit-msg")
    with open(script, "w") as fh:
        fh.write(f"#!/bin/sh\nexec {sys.executable} -m guard hook commit-msg \"$1\"\n")
    os.chmod(script, os.stat(script).st_mode | stat.S_IEXEC)
    repo.git("config", "core.hooksPath", hooks)


def test_fixup_commits_hook_allows_check_rejects(tmp_path):
    repo = project(tmp_path)
    _install_hook(repo)
    target = repo.commit("feat(api): add orders", {"src/api/orders.py": "x = 1\n"})
    repo.write("src/api/orders.py", "x = 2\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--fixup", target)           # through the real hook: allowed
    repo.write("src/api/orders.py", "x = 3\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--squash", target, "-m", "more")
    repo.write("src/api/orders.py", "x = 4\n")
    wip = subprocess.run(["git", "commit", "-q", "-am", "WIP more orders"], cwd=repo.path,
                         env=repo.env, capture_output=True, text=True)
    assert wip.returncode != 0 and "COMMIT008" in wip.stderr     # the hook refuses WIP
    repo.git("checkout", "--", ".")
    data = check(repo)
    got = per_commit(data)
    assert got["fixup! feat(api): add orders"] == {"COMMIT008"}
    assert got["squash! feat(api): add orders"] == {"COMMIT008"}
    assert data["failed"]
    # the step names the commit to rebase onto, the hook's refusal cannot (no base there)
    onto = repo.git("merge-base", "main", "HEAD")[:12]
    hints = {f["hint"] for f in data["findings"] if f["rule"] == "COMMIT008"}
    assert f"squash it before hand-off: git rebase -i --autosquash {onto}" in hints, hints
    assert "<base>" in wip.stderr and not any("<base>" in h for h in hints)


def test_hook_strips_comments_and_scissors_like_git(tmp_path):
    repo = project(tmp_path)
    _install_hook(repo)
    msg = tmp_path / "msg"
    msg.write_text("feat(api): add orders\n\n# WIP: comment lines are not the message\n"
                   "# ------------------------ >8 ------------------------\n"
                   "WIP a diff would be here\n")
    ok = subprocess.run(["git", "commit", "-q", "--allow-empty", "--cleanup=strip", "-F",
                         str(msg)], cwd=repo.path, env=repo.env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    # core.commentChar is honoured
    repo.git("config", "core.commentChar", ";")
    msg.write_text("feat(api): add more\n\n; WIP comment\n# kept: not a comment now\n")
    res = run_guard("hook", "commit-msg", str(msg), cwd=repo.path)
    assert res.code == 0 and res.err == ""
    msg.write_text("added things\n")
    res = run_guard("hook", "commit-msg", str(msg), cwd=repo.path)
    assert res.code == 1 and "COMMIT001" in res.err and "feat: add things" in res.err


def test_hook_uses_committed_policy_and_trailers(tmp_path):
    repo = project(tmp_path, style="plain", extra="  commits:\n    trailers: [Agent-Role]\n")
    msg = tmp_path / "msg"
    msg.write_text("Add orders\n\nAgent-Role: backend\n")
    assert run_guard("hook", "commit-msg", str(msg), cwd=repo.path).code == 0
    msg.write_text("Add orders\n")
    res = run_guard("hook", "commit-msg", str(msg), cwd=repo.path)
    assert res.code == 1 and "COMMIT010" in res.err
    msg.write_text("Add orders\n\n" + "x" * 120 + "\n\nAgent-Role: backend\n")
    res = run_guard("hook", "commit-msg", str(msg), cwd=repo.path)
    assert res.code == 0 and "COMMIT007" in res.err          # a warning is shown, not fatal
    for autosquash in ("fixup! Add orders", "squash! Add orders", "amend! Add orders"):
        msg.write_text(autosquash + "\n")
        assert run_guard("hook", "commit-msg", str(msg), cwd=repo.path).code == 0
    msg.write_text("tmp\n")
    assert run_guard("hook", "commit-msg", str(msg), cwd=repo.path).code == 1
    res = run_guard("hook", "commit-msg", str(tmp_path / "missing"), cwd=repo.path)
    assert res.code == 2 and "cannot read the commit message" in res.err


# -- uncommitted work -----------------------------------------------------------------------
def test_dirty_tree_is_an_error_listing_the_files(tmp_path):
    repo = project(tmp_path)
    repo.commit("feat(api): add orders", {"src/api/orders.py": "x = 1\n",
                                          ".gitignore": "*.log\n"})
    assert check(repo)["findings"] == []
    repo.write("debug.log", "ignored\n")                 # ignored: not work
    assert check(repo)["findings"] == []
    repo.write("src/api/orders.py", "x = 2\n")           # modified
    repo.write("src/api/new.py", "y = 1\n")              # untracked
    repo.write("src/api/staged.py", "z = 1\n")
    repo.git("add", "src/api/staged.py")                 # staged
    data = check(repo)
    dirty = [f for f in data["findings"] if f["rule"] == "COMMIT012"]
    assert len(dirty) == 1 and dirty[0]["severity"] == "error"
    for part in ("src/api/orders.py (modified)", "src/api/new.py (untracked)",
                 "src/api/staged.py (staged)", "1 modified", "1 staged", "1 untracked"):
        assert part in dirty[0]["message"]
    assert sorted(dirty[0]["data"]["paths"]) == ["src/api/new.py", "src/api/orders.py",
                                                 "src/api/staged.py"]
    # --staged: uncommitted work is the point
    res = run_guard("check", "--staged", "--format", "json", "--only", "commits",
                    cwd=repo.path)
    assert res.code == 0, res.err
    assert json.loads(res.out)["findings"] == []
    # guard report carries it too, in the commit references section
    res = run_guard("report", "--base", "main", "--only", "commits", cwd=repo.path)
    assert "COMMIT012" in res.out.split("## 5. Commit references")[1]
    # --head at another commit: the working tree is not what is checked
    head = repo.git("rev-parse", "HEAD")
    repo.git("stash", "-u", "-q")
    repo.commit("docs: later")
    repo.write("src/api/orders.py", "x = 3\n")
    data = check(repo, "--head", head)
    assert [f for f in data["findings"] if f["rule"] == "COMMIT012"] == []
    assert "not checked" in data["facts"]["commits"]["working_tree"]


# -- atomicity ------------------------------------------------------------------------------
def test_atomicity_roles_and_migrations(tmp_path):
    repo = project(tmp_path)
    repo.commit("feat(api): orders and a button", {"src/api/orders.py": "x\n",
                                                   "src/components/Buy.tsx": "y\n"})
    repo.commit("feat(db): add status column", {"migrations/0002_status.sql": "alter\n",
                                                "src/models/order.py": "m\n"})
    repo.commit("feat(db): add paid column and the docs", {"migrations/0003_paid.sql": "a\n",
                                                           "src/api/pay.py": "p\n"})
    repo.commit("docs: readme only", {"README.md": "more\n"})
    data = check(repo)
    got = per_commit(data)
    assert got["feat(api): orders and a button"] == {"COMMIT011"}
    assert got["feat(db): add status column"] == set()
    assert got["feat(db): add paid column and the docs"] == {"COMMIT011"}
    assert got["docs: readme only"] == set()
    msgs = [f["message"] for f in data["findings"] if f["rule"] == "COMMIT011"]
    assert any("backend" in m and "frontend" in m for m in msgs)
    assert any("migrations/0003_paid.sql" in m and "src/api/pay.py" in m for m in msgs)
    assert all(f["severity"] == "warning" for f in data["findings"])


def test_atomicity_nested_migrations_by_their_numbered_files(tmp_path):
    """A Django app's numbered migration mixed with API code is flagged; a source package
    that is merely named `migrations` (a linter's own module) is not a migration."""
    repo = project(tmp_path)
    repo.commit("feat(db): orders app migration plus an endpoint",
                {"src/server/orders/migrations/0002_status.py": "ops = []\n",
                 "src/api/orders.py": "x\n"})
    repo.commit("refactor(server): split the migrations helpers",
                {"src/server/checks/migrations/__init__.py": "x\n",
                 "src/server/checks/migrations/sqlfast.py": "y\n",
                 "src/api/lint.py": "z\n"})
    got = per_commit(check(repo))
    assert got["feat(db): orders app migration plus an endpoint"] == {"COMMIT011"}
    assert got["refactor(server): split the migrations helpers"] == set()


def test_atomicity_thresholds_configurable(tmp_path):
    repo = project(tmp_path, extra=("  commits:\n    atomicity:\n      max_roles: 2\n"
                                    "      max_unrelated: 1\n"))
    repo.commit("feat(api): orders and a button", {"src/api/orders.py": "x\n",
                                                   "src/components/Buy.tsx": "y\n"})
    repo.commit("feat(db): paid column", {"migrations/0003_paid.sql": "a\n",
                                          "src/api/pay.py": "p\n"})
    assert check(repo)["findings"] == []
    repo2 = project(tmp_path, name="q", extra="  commits:\n    atomicity: false\n")
    repo2.commit("feat(api): orders and a button", {"src/api/orders.py": "x\n",
                                                    "src/components/Buy.tsx": "y\n"})
    assert check(repo2)["findings"] == []


# -- shallow clones -------------------------------------------------------------------------
def test_shallow_clone_hiding_commits_is_exit_2(tmp_path):
    origin = project(tmp_path, name="origin")
    for i in range(3):
        origin.commit(f"feat(api): step {i}", {f"src/api/s{i}.py": "x\n"})
    origin.checkout("main")
    origin.commit("docs: main moves", {"docs/x.md": "x\n"})
    origin.checkout("agent/backend/task")
    origin.git("merge", "--no-edit", "-q", "main")
    origin.commit("feat(api): last", {"src/api/last.py": "x\n"})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "3", "--no-single-branch",
                    "file://" + origin.path, str(clone)], env=origin.env, check=True)
    repo = Repo(str(clone))
    repo.git("checkout", "-q", "agent/backend/task")
    assert repo.git("rev-parse", "--is-shallow-repository") == "true"
    res = run_guard("check", "--base", "origin/main", "--only", "commits", cwd=repo.path)
    assert res.code == 2, res.out + res.err
    assert "shallow clone" in res.err and "--unshallow" in res.err
    assert "Traceback" not in res.err
    repo.git("fetch", "-q", "--unshallow")
    res = run_guard("check", "--base", "origin/main", "--only", "commits", cwd=repo.path)
    assert res.code in (0, 1), res.err


# -- bad configuration --------------------------------------------------------------------------
@pytest.mark.parametrize("style,extra,line,words", [
    ("conventionnal", "", 2, ["'conventionnal'", "did you mean 'conventional'"]),
    ("custom", "  commits:\n    pattern: '([A-Z'\n    example: 'X'\n", 6,
     ["not a valid regular expression"]),
    ("custom", "  commits:\n    pattern: '^[A-Z]+-[0-9]+: '\n", 6, ["has no example"]),
    ("custom", "  commits:\n    pattern: '^[A-Z]+: '\n    example: 'nope'\n", 7,
     ["does not match"]),
    ("custom", "", 2, ["guard.commits.pattern is not set"]),
    ("angular", "  commits:\n    extra_types: [deps]\n", 6, ["extra_types applies"]),
    ("conventional", "  commits:\n    header_maxx: 50\n", 6, ["did you mean 'header_max'"]),
    ("conventional", "  commits:\n    merge_commits: fatal\n", 6, ["merge_commits"]),
    ("conventional", "  commits:\n    trailers: ['Signed off by']\n", 6,
     ["not a trailer key"]),
    ("conventional", "  commits:\n    atomicity:\n      max_role: 2\n", 7,
     ["did you mean 'max_roles'"]),
])
def test_bad_configuration_is_exit_2_with_file_and_line(tmp_path, style, extra, line, words):
    repo = project(tmp_path, style=style, extra=extra)
    repo.commit("feat(api): x", {"src/api/x.py": "x\n"})
    res = run_guard("check", "--base", "main", "--only", "commits", cwd=repo.path)
    assert res.code == 2, res.out + res.err
    assert f"company.config.yaml:{line}" in res.err, res.err
    for word in words:
        assert word in res.err, res.err
    assert "Traceback" not in res.err and len(res.err.strip().splitlines()) == 1
    msg = tmp_path / "msg"
    msg.write_text("feat(api): x\n")
    hook = run_guard("hook", "commit-msg", str(msg), cwd=repo.path)
    assert hook.code == 2 and f"company.config.yaml:{line}" in hook.err


# -- reports --------------------------------------------------------------------------------
def test_report_lists_every_commit_with_its_findings(tmp_path):
    repo = project(tmp_path)
    repo.commit("feat(api): add orders", {"src/api/orders.py": "x\n"})
    repo.commit("WIP paging", {"src/api/orders.py": "y\n"})
    res = run_guard("report", "--base", "main", cwd=repo.path)
    assert res.code == 0, res.err
    section = res.out.split("## 5. Commit references")[1]
    assert "2 commits in" in section
    assert "| Commit | Header | Files | guard |" in section
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert "feat(api): add orders | 1 | ok |" in rows[1] or "feat(api): add orders | 1 | ok |" \
        in rows[2]
    wip = next(r for r in rows if "WIP paging" in r)
    assert "**error** COMMIT008" in wip
    data = check(repo, only="scope,commits")
    assert {c["header"]: c["findings"] for c in data["commits"]} == {
        "feat(api): add orders": [], "WIP paging": ["COMMIT008"]}
    assert data["summary"]["commits"] == 2 and data["facts"]["commits"]["count"] == 2
    f = next(f for f in data["findings"] if f["rule"] == "COMMIT008")
    assert f["data"]["commit"] == repo.git("rev-parse", "HEAD")


def test_commit_style_rules_are_documented():
    from guard.registry import RULES
    docs = os.path.join(os.path.dirname(__file__), "..", "docs")
    readme = "".join(open(os.path.join(docs, name), encoding="utf-8").read()
                     for name in ("configuration.md", "integrations.md", "rules.md"))
    ids = [r.id for r in RULES if r.check == "commits"]
    assert len(ids) == 17
    for rule_id in ids:
        assert rule_id in readme
    assert "guard.commits" in readme and "default_install_hook_types" in readme


def test_agent_stop_hook_blocks_until_all_work_is_committed(tmp_path):
    """"Commit all work before reporting back": the Stop hook (fast checks on the branch plus
    the working tree) blocks while an owned file is uncommitted, and passes once committed."""
    repo = project(tmp_path)
    repo.commit("feat(api): add orders", {"src/api/orders.py": "x = 1\n"})
    repo.write("src/api/orders.py", "x = 2\n")            # owned by backend: scope is fine
    fixture = os.path.join(os.path.dirname(__file__), "fixtures", "claude", "stop.json")
    with open(fixture, encoding="utf-8") as fh:
        payload = fh.read().replace("/work/shop", repo.path)
    res = run_guard("hook", "claude", cwd=repo.path, input=payload)
    assert res.code == 2, res
    assert "COMMIT012" in res.err and "src/api/orders.py (modified)" in res.err
    repo.commit("fix(api): orders start at two")
    res = run_guard("hook", "claude", cwd=repo.path, input=payload)
    assert (res.code, res.err) == (0, ""), res


@pytest.mark.skipif(not shutil.which("ssh-keygen"), reason="needs ssh-keygen to sign")
def test_log_show_signature_does_not_garble_the_commits(tmp_path):
    # log.showSignature (a repository or global setting) makes `git log` print each
    # signature's check before the commit: it became part of the commit's id, and of the
    # Agent-Role trailer's value
    repo = Repo.init(str(tmp_path / "p"))
    repo.commit("chore: base", {"company.config.yaml": CONFIG.format(
        style="conventional", extra="").replace("  role: backend\n", "")})
    repo.branch("feature/x")
    key = str(tmp_path / "key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    with open(key + ".pub", encoding="utf-8") as fh:
        (tmp_path / "allowed").write_text("agent@example.invalid " + fh.read())
    for name, value in (("gpg.format", "ssh"), ("user.signingkey", key + ".pub"),
                        ("gpg.ssh.allowedSignersFile", str(tmp_path / "allowed")),
                        ("commit.gpgsign", "true"), ("log.showSignature", "true")):
        repo.git("config", name, value)
    repo.commit("feat(api): signed\n\nAgent-Role: backend", {"src/api/x.py": "x = 1\n"})
    repo.commit("WIP signed too", {"src/api/y.py": "y = 1\n"})
    assert "signature" in repo.git("log", "-1", "--format=%H")
    data = check(repo, only="commits,scope")
    assert data["role"] == "backend"
    shas = repo.git("log", "--no-show-signature", "--format=%H", "main..").split()
    assert [c["sha"] for c in data["commits"]] == shas
    assert per_commit(data) == {"feat(api): signed": set(), "WIP signed too": {"COMMIT008"}}


def test_log_output_encoding_does_not_garble_the_commits(tmp_path):
    # i18n.logOutputEncoding re-encodes what `git log` prints: UTF-16 turned each commit
    # into dozens of junk ones, Latin-1 mangled every non-ASCII message and trailer
    repo = project(tmp_path)
    repo.commit("feat(api): add the café menu\n\nAgent-Role: backend",
                {"src/api/x.py": "x = 1\n"})
    repo.commit("WIP menu", {"src/api/y.py": "y = 1\n"})
    for encoding in ("UTF-16", "ISO-8859-1"):
        repo.git("config", "i18n.logOutputEncoding", encoding)
        data = check(repo)
        assert per_commit(data) == {"feat(api): add the café menu": set(),
                                    "WIP menu": {"COMMIT008"}}, encoding


def test_git_setting_overrides_keep_the_callers_own(monkeypatch):
    """guard overrides log.showSignature and i18n.logOutputEncoding the way `git -c` does,
    through GIT_CONFIG_COUNT; settings the caller already passes that way (CI sets
    safe.directory so) stay, and git sees them all."""
    from guard import git as gitmod
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "guard.test")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "kept")
    proc = gitmod.run_git(["config", "--get-regexp", r"^(guard\.test|log\.showsignature|"
                           r"i18n\.logoutputencoding)$"], cwd=os.getcwd())
    assert proc.stdout.decode().splitlines() == [
        "guard.test kept", "log.showsignature false", "i18n.logoutputencoding UTF-8"]
