"""The GitLab CI template (ci/gitlab-guard.yml): valid YAML, real options, and its script
line run as a merge-request pipeline runs it, on a real repository."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

import yaml

from gitrepo import git_env, run_guard
from test_github_action import ROOT, _guard_bin, _pull_request, _pull_request_merge

GITLAB = os.path.join(ROOT, "ci", "gitlab-guard.yml")


def _guard_lines(script: list[str]) -> list[list[str]]:
    out = []
    for line in script:
        words = shlex.split(line, comments=True)
        while words and words[0] not in ("guard",):
            words.pop(0)
        if words:
            out.append(words)
    return out


def _gitlab_job(tmp_path, repo, variables: dict) -> tuple[str, dict]:
    """The template's guard line and the environment GitLab's runner gives it: the job's
    own variables, guard on PATH, and the pipeline's ``variables``."""
    doc = yaml.safe_load(open(GITLAB, encoding="utf-8"))
    line = next(line for line in doc[".guard"]["script"] if line.lstrip().startswith("guard "))
    env = git_env()
    env.update({k: str(v) for k, v in doc[".guard"].get("variables", {}).items()})
    env.update({
        "PATH": _guard_bin(tmp_path) + os.pathsep + env.get("PATH", ""),
        "PYTHONPATH": os.path.join(ROOT, "src"),
        "GITLAB_CI": "true", "CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_PROJECT_DIR": repo.path, **variables,
    })
    return line, env


def test_gitlab_template_is_yaml_and_uses_real_options(tmp_path):
    doc = yaml.safe_load(open(GITLAB, encoding="utf-8"))
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
    assert jobs, "no job in the template"
    help_text = run_guard("check", "--help", cwd=str(tmp_path)).out
    known = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) | {"-C"}
    seen = 0
    for name, job in jobs.items():
        assert job["variables"]["GIT_DEPTH"] in (0, "0"), name
        for words in _guard_lines(job["script"]):
            seen += 1
            assert words[1] == "check", words
            for word in words[2:]:
                if word.startswith("-"):
                    assert word.split("=", 1)[0] in known, (name, word)
    assert seen


def test_gitlab_template_script_runs(tmp_path):
    """The template's guard line, run as GitLab's shell would in a merge-request pipeline."""
    repo = _pull_request(tmp_path)
    line, env = _gitlab_job(tmp_path, repo, {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    proc = subprocess.run(["sh", "-c", line], cwd=repo.path, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 1, proc
    report = open(os.path.join(repo.path, "guard-junit.xml"), encoding="utf-8").read()
    assert "SCOPE001" in report and "<testsuite" in report
    assert os.path.exists(os.path.join(repo.path, "guard-report.md"))
    assert os.path.exists(os.path.join(repo.path, "guard.sarif"))


def test_gitlab_template_on_a_detached_checkout(tmp_path):
    """GitLab's runner checks out the pipeline's commit detached (CI_COMMIT_SHA): the role
    comes from CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, and the JUnit file the shell creates
    for guard's stdout before guard starts is not "uncommitted work" (COMMIT012)."""
    repo = _pull_request(tmp_path)
    head = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "--detach", head)
    line, env = _gitlab_job(tmp_path, repo, {
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": repo.git("merge-base", "origin/main", "HEAD"),
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "agent/backend/orders",
        "CI_COMMIT_SHA": head,
    })
    proc = subprocess.run(["sh", "-c", line], cwd=repo.path, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 1, proc
    report = open(os.path.join(repo.path, "guard-junit.xml"), encoding="utf-8").read()
    assert "SCOPE001" in report and "COMMIT012" not in report, report
    markdown = open(os.path.join(repo.path, "guard-report.md"), encoding="utf-8").read()
    assert "' in CI_MERGE_REQUEST_SOURCE_BRANCH_NAME" in markdown


def test_gitlab_merged_results_pipeline(tmp_path):
    """A merged-results pipeline checks out GitLab's internal merge of the branch into the
    target (CI_COMMIT_SHA), with the branch's own head in CI_MERGE_REQUEST_SOURCE_BRANCH_SHA:
    that merge is GitLab's, not the agent's (no COMMIT009), and the files the target gained
    since the branch started are not the branch's (the base is the target's head,
    CI_MERGE_REQUEST_TARGET_BRANCH_SHA, not the diff base). Any other pipeline on the same
    merge commit still judges it."""
    repo, merge = _pull_request_merge(tmp_path)
    line, env = _gitlab_job(tmp_path, repo, {
        "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "agent/backend/orders",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": repo.git("rev-parse", "HEAD^2"),
        "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": repo.git("rev-parse", "HEAD^1"),
        # where the branch started: main has moved on since (README.md)
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": repo.git("merge-base", "HEAD^1", "HEAD^2"),
        "CI_COMMIT_SHA": merge,
    })

    def run() -> str:
        proc = subprocess.run(["sh", "-c", line], cwd=repo.path, env=env, capture_output=True,
                              text=True)
        assert proc.returncode == 1, proc
        return open(os.path.join(repo.path, "guard-junit.xml"), encoding="utf-8").read()

    report = run()
    assert "SCOPE001" in report and "Button.tsx" in report, report
    assert "COMMIT009" not in report and "README.md" not in report, report
    env["CI_MERGE_REQUEST_EVENT_TYPE"] = "detached"      # not GitLab's merge: judged
    assert "COMMIT009" in run()


def test_own_report_files_are_not_uncommitted_work(tmp_path):
    """Outside CI too: `guard check > out.txt` and a second `--output markdown=r.md` in the
    repository do not report guard's own files as COMMIT012; another file still is one."""
    from gitrepo import Repo
    repo = Repo.init(str(tmp_path / "r"))
    repo.commit("chore: start", {"README.md": "# r\n", "src/server/app.py": "x = 1\n"})
    assert run_guard("init", cwd=repo.path).code == 0
    repo.commit("chore: add guard policy")
    repo.branch("agent/backend/x")
    repo.commit("feat(api): x", {"src/server/app.py": "x = 2\n"})
    env = git_env()
    env["PATH"] = _guard_bin(tmp_path) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.path.join(ROOT, "src")
    for _ in range(2):
        proc = subprocess.run(["sh", "-c", "guard check --only commits "
                               "--output markdown=r.md > out.txt"],
                              cwd=repo.path, env=env, capture_output=True, text=True)
        out = open(os.path.join(repo.path, "out.txt"), encoding="utf-8").read()
        assert proc.returncode == 0 and "COMMIT012" not in out, (proc, out)
    repo.write("notes.txt", "todo\n")
    res = run_guard("check", "--only", "commits", cwd=repo.path)
    assert res.code == 1 and "COMMIT012" in res.out and "notes.txt" in res.out
    assert "out.txt" in res.out      # not this run's output: someone else's file now
