"""Findings of a huge change grouped in the formats people and agents read (issue 17): more
than 20 findings of one rule print as one line per folder with one step for it; JSON,
SARIF and JUnit still list every finding; counts and exit codes do not change. Each step a
group gives is run as written on a real repository, then guard runs again."""

import json
import os
import re
import sys

import pytest

from gitrepo import backend_project, run_guard

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import agent_loop  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "claude")


@pytest.fixture
def repo(tmp_path):
    return backend_project(str(tmp_path / "project"))


def check(repo, fmt, *args):
    res = run_guard("check", "--base", "main", "--only", "scope", "--format", fmt, *args,
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return res


def components(n, folder="src/components/ui"):
    return {f"{folder}/C{i:02d}.tsx": f"c{i}\n" for i in range(n)}


def run_steps(repo, hint):
    """The git commands a group's step names, run as written (no shell)."""
    commands = re.findall(r"git (?:add|restore) [^,;()]+?(?=, then|\)|$)", hint)
    assert commands, hint
    for command in commands:
        repo.git(*command.split()[1:])
    return commands


def test_text_groups_a_rule_with_more_than_20_findings(repo):
    repo.commit("feat: ui", {**components(25), "src/server/x.py": "x\n", "docs/a.md": "a\n"})
    res = check(repo, "text")
    assert res.code == 1
    assert "ERROR SCOPE001 src/components/ui/\n" in res.out     # the folder, not 25 lines
    assert "src/components/ui/C00.tsx (added)" not in res.out
    assert ("    25 files under src/components/ui/ (SCOPE001): each is on the do-not-touch list "
            "for the Backend Engineer") in res.out
    assert ("— first: src/components/ui/C00.tsx, src/components/ui/C01.tsx, "
            "src/components/ui/C02.tsx; `guard check --format json` lists all") in res.out
    assert "ERROR SCOPE003 docs/a.md\n" in res.out            # one finding: as ever
    assert "FAILED: 26 error(s), 0 warning(s), 0 info" in res.out
    assert check(repo, "text").out == res.out                  # deterministic
    # JSON, SARIF and JUnit list every finding
    findings = json.loads(check(repo, "json").out)["findings"]
    assert sum(f["rule"] == "SCOPE001" for f in findings) == 25
    sarif = json.loads(check(repo, "sarif").out)
    assert sum(r["ruleId"] == "SCOPE001" for r in sarif["runs"][0]["results"]) == 25
    assert check(repo, "junit").out.count('name="SCOPE001 src/components/ui/') == 25


def test_20_findings_of_a_rule_print_one_by_one(repo):
    repo.commit("feat: ui", components(20))
    out = check(repo, "text").out
    assert out.count("ERROR SCOPE001 src/components/ui/C") == 20
    assert "files under" not in out


def test_markdown_and_github_print_one_entry_per_group(repo):
    repo.commit("feat: ui", {**components(21), "src/types/t.ts": "export type T = 1\n"})
    md = check(repo, "markdown").out
    rows = [line for line in md.splitlines() if line.startswith("| error | SCOPE001 |")]
    assert len(rows) == 1 and rows[0].startswith(
        "| error | SCOPE001 | `src/components/ui/` | 21 files under src/components/ui/ "
        "(SCOPE001)")
    assert "**FAILED** — 21 error(s), 1 warning(s)" in md
    gh = check(repo, "github").out.splitlines()
    errors = [line for line in gh if line.startswith("::error")]
    assert len(errors) == 1 and errors[0].startswith(
        "::error title=SCOPE001::21 files under src/components/ui/ (SCOPE001)")   # no file=
    assert any(line.startswith("::warning file=src/types/t.ts,") for line in gh)
    assert gh[-1].startswith("guard: 21 error(s), 1 warning(s), 0 info — FAILED")


def test_agent_drops_the_commit_a_group_names(repo):
    """A commit that changes only the forbidden folder: the group's step drops it, and the
    simulated agent of benchmarks/agent_loop.py follows the line as written."""
    repo.commit("feat(api): orders", {"src/server/orders.py": "x\n"})
    sha = repo.commit("feat: ui", components(22))
    out = check(repo, "agent").out
    lines = out.splitlines()
    assert len(lines) == 2, out
    step = agent_loop.LINE.match(lines[1]).groupdict()
    assert (step["where"], step["rule"], step["sev"]) == ("src/components/ui/", "SCOPE001",
                                                          "error")
    onto = repo.git("merge-base", "main", "HEAD")[:12]      # not a placeholder to guess
    assert step["hint"].startswith(
        f"take every change under src/components/ui/ out of the branch by dropping commit "
        f"{sha[:8]} (git rebase -i {onto}, mark it `drop`), which changes nothing else; "
        "owned by Riley (Frontend Engineer)")
    agent = agent_loop.Agent(repo.path)
    agent.follow(out)
    assert not agent.unhandled
    assert check(repo, "agent").code == 0


def test_restore_of_a_whole_folder_over_several_commits(repo):
    repo.commit("feat: one", {**components(11), "src/server/a.py": "a\n"})
    repo.commit("feat: two", {**components(22), "src/server/b.py": "b\n",
                              "src/components/Button.tsx": "changed\n"})
    out = check(repo, "agent").out
    line = next(x for x in out.splitlines() if " SCOPE001 " in x)
    merge_base = repo.git("merge-base", "main", "HEAD")
    assert line.startswith("src/components/ SCOPE001 error: 23 files under src/components/")
    hint = agent_loop.LINE.match(line)["hint"]
    assert hint.startswith(
        f"take every change under src/components/ out of the branch: git restore "
        f"--source={merge_base} --staged --worktree -- src/components/, then commit")
    run_steps(repo, hint)
    repo.commit("chore: restore src/components/ from main")
    after = json.loads(check(repo, "json").out)
    assert not [f for f in after["findings"] if f["severity"] == "error"]
    assert repo.git("diff", "--name-only", "main...HEAD").split() == [
        "src/server/a.py", "src/server/b.py"]


def test_staged_group_unstages_the_folder(repo):
    for rel, text in components(21).items():
        repo.write(rel, text)
    repo.write("src/components/Button.tsx", "changed\n")
    repo.git("add", "-A")
    res = run_guard("check", "--staged", "--only", "scope", "--format", "agent",
                    cwd=repo.path)
    assert res.code == 1, res.err
    hint = agent_loop.LINE.match(res.out.splitlines()[1])["hint"]
    assert hint.startswith("unstage every change under src/components/ and undo it in the "
                           "working tree (git restore --source=HEAD --staged --worktree -- "
                           "src/components/)")
    run_steps(repo, hint)
    assert repo.git("status", "--porcelain") == ""      # index and files as at HEAD
    res = run_guard("check", "--staged", "--only", "scope", "--format", "agent",
                    cwd=repo.path)
    assert res.code == 0, res.out


def test_stop_hook_groups_untracked_files_and_its_step_clears_them(repo):
    for rel, text in components(25).items():
        repo.write(rel, text)
    repo.write("src/components/Button.tsx", "changed\n")      # tracked, edited
    with open(os.path.join(FIXTURES, "stop.json"), encoding="utf-8") as fh:
        payload = fh.read().replace("/work/shop", repo.path)
    res = run_guard("hook", "claude", cwd=repo.path, input=payload)
    assert res.code == 2
    lines = res.err.splitlines()
    assert len(lines) == 4 and lines[3].startswith(      # after COMMIT012 (uncommitted)
        "src/components/ SCOPE001 error: 26 files under src/components/"), res.err
    hint = agent_loop.LINE.match(lines[3])["hint"]
    assert run_steps(repo, hint) == [
        "git add -A -- src/components/",
        f"git restore --source={repo.git('merge-base', 'main', 'HEAD')} --staged --worktree "
        "-- src/components/"]
    res = run_guard("hook", "claude", cwd=repo.path, input=payload)
    assert res.code == 0, res.err
    assert repo.git("status", "--porcelain") == ""


def test_a_folder_with_other_verdicts_inside_is_one_mixed_group(repo):
    """src/pages/ is do-not-touch, src/pages/api/ shared: the change under src/pages/ is
    not all SCOPE001, so no one restore fixes it; six whole subfolders are one group."""
    files = {f"src/pages/p{i}/x{j}.tsx": f"{i}{j}\n" for i in range(6) for j in range(4)}
    repo.commit("feat: pages", {**files, "src/pages/api/h.ts": "h\n"})
    out = check(repo, "agent").out
    line = next(x for x in out.splitlines() if " SCOPE001 " in x)
    assert line.startswith("src/pages/ SCOPE001 error: 24 files under src/pages/ (SCOPE001)")
    hint = agent_loop.LINE.match(line)["hint"]
    assert hint.startswith("one step per file; for src/pages/p0/x0.tsx: revert "
                           "src/pages/p0/x0.tsx") or \
        hint.startswith("one step per file; for src/pages/p0/x0.tsx: remove"), hint
    assert hint.endswith("`guard check --format json` lists every step")
    assert "git restore" not in hint


def test_renames_out_of_a_folder_give_no_folder_restore(repo):
    """Renamed from src/components/ into src/server/: restoring src/components/ would leave
    the new copies behind, so the group keeps the files' own steps."""
    repo.commit("chore: more ui", components(21))
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "agent/backend/task")
    repo.git("checkout", "-q", "agent/backend/task")
    for i in range(21):
        repo.git("mv", f"src/components/ui/C{i:02d}.tsx", f"src/server/C{i:02d}.tsx")
    repo.commit("refactor: move", add_all=False)
    out = check(repo, "agent").out
    line = next(x for x in out.splitlines() if " SCOPE001 " in x)
    assert line.startswith("src/components/ui/ SCOPE001 error: 21 files under "
                           "src/components/ui/")
    hint = agent_loop.LINE.match(line)["hint"]
    assert "git restore" not in hint and "move it back to src/components/ui/C00.tsx" in hint


def test_files_at_the_root_beside_a_grouped_folder(repo):
    """More than 20 findings of a rule, a few of them files at the repository root and the
    rest one folder: the folder is a group and the root files print one by one (a root
    file's finding was taken for a folder group: guard crashed with an IndexError)."""
    repo.commit("feat: notes and tools", {
        **{f"tools/t{i:02d}.sh": f"t{i}\n" for i in range(18)},
        "NOTES.md": "n\n", "CHANGES.md": "c\n", "TODO.md": "t\n"})
    for fmt in ("text", "agent", "markdown", "github"):
        res = check(repo, fmt)
        assert res.code == 1 and "internal error" not in res.err, res.err
    out = check(repo, "text").out
    assert "18 files under tools/ (SCOPE003)" in out, out
    for name in ("NOTES.md", "CHANGES.md", "TODO.md"):
        assert f"ERROR SCOPE003 {name}\n" in out, out
