"""The GitHub Action (action.yml + ci/github-action.sh), its steps run with the variables
GitHub sets, on real repositories."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import yaml

from gitrepo import Repo, backend_project, git_env

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "ci", "github-action.sh")

NO_ROLE_CONFIG = """\
personas:
  engineering_backend: Casey
  engineering_frontend: Riley
conventions:
  commit_style: conventional
guard: {}
"""


def _guard_bin(tmp_path) -> str:
    """A `guard` on PATH that runs this checkout's guard with the test's interpreter."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / "guard"
    exe.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m guard \"$@\"\n")
    exe.chmod(0o755)
    return str(bindir)


def _origin_with_agent_branch(tmp_path) -> Repo:
    """The origin: main, and agent/backend/orders with one commit that adds a backend file
    and a frontend one (SCOPE001); main checked out."""
    origin = backend_project(str(tmp_path / "origin"), config=NO_ROLE_CONFIG)
    origin.checkout("main")
    origin.branch("agent/backend/orders")
    origin.commit("feat(api): add orders", {"src/server/orders.py": "ORDERS = []\n",
                                            "src/components/Button.tsx": "export const B = 1\n"})
    origin.checkout("main")
    return origin


def _pull_request(tmp_path) -> Repo:
    """What actions/checkout with fetch-depth 0 leaves for a pull request: a clone whose
    origin has main and the agent's branch, the branch checked out."""
    origin = _origin_with_agent_branch(tmp_path)
    work = tmp_path / "workspace"
    subprocess.run(["git", "clone", "-q", origin.path, str(work)], check=True, env=git_env())
    repo = Repo(str(work))
    repo.git("checkout", "-q", "agent/backend/orders")
    return repo


def _pull_request_merge(tmp_path) -> tuple[Repo, str]:
    """What actions/checkout (fetch-depth 0) really leaves for a pull_request event: every
    branch as origin/*, and HEAD detached at GitHub's merge commit of the branch into main
    (refs/pull/1/merge), main having moved on since the branch started. Returns the
    workspace and the merge commit (GITHUB_SHA)."""
    origin = _origin_with_agent_branch(tmp_path)
    origin.commit("docs: main moves on", {"README.md": "# project, moved on\n"})
    origin.git("merge", "-q", "--no-ff", "-m", "Merge abc123 into def456", "agent/backend/orders")
    merge = origin.git("rev-parse", "HEAD")
    origin.git("update-ref", "refs/pull/1/merge", merge)
    origin.git("reset", "-q", "--hard", "HEAD^1")
    work = tmp_path / "workspace"
    env = git_env()
    for argv in (["init", "-q", str(work)],
                 ["-C", str(work), "remote", "add", "origin", origin.path],
                 ["-C", str(work), "fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*",
                  "+refs/pull/1/merge:refs/remotes/pull/1/merge"],
                 ["-C", str(work), "checkout", "-q", "--detach", "refs/remotes/pull/1/merge"]):
        subprocess.run(["git", *argv], check=True, env=env)
    return Repo(str(work)), merge


def _run_action(tmp_path, repo: Repo, env_extra: dict | None = None,
                **inputs: str) -> tuple[subprocess.CompletedProcess, str, dict]:
    summary = tmp_path / "step_summary.md"
    output = tmp_path / "github_output"
    summary.write_text("")
    output.write_text("")
    env = git_env()
    env.update({
        "PATH": _guard_bin(tmp_path) + os.pathsep + env.get("PATH", ""),
        "PYTHONPATH": os.path.join(ROOT, "src"),
        "GITHUB_ACTIONS": "true", "CI": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_BASE_REF": "main", "GITHUB_HEAD_REF": "agent/backend/orders",
        "GITHUB_WORKSPACE": repo.path,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_ACTION_PATH": ROOT,
    })
    env.update(env_extra or {})
    for key, value in inputs.items():
        env["INPUT_" + key.upper()] = value
    proc = subprocess.run(["bash", SCRIPT, "run"], cwd=repo.path, env=env,
                          capture_output=True, text=True, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if line)
    return proc, summary.read_text(), outputs


def test_action_runs_guard_with_annotations_summary_and_sarif(tmp_path):
    repo = _pull_request(tmp_path)
    proc, summary, outputs = _run_action(tmp_path, repo, sarif="guard.sarif")
    assert proc.returncode == 1, proc
    # annotations: GitHub workflow commands naming the file and the rule
    assert re.search(r"^::error file=src/components/Button\.tsx[^:]*title=SCOPE001::",
                     proc.stdout, re.M), proc.stdout
    # the job summary: the hand-off report, with the role from the branch name
    assert "SCOPE001" in summary and "Backend Engineer" in summary, summary
    assert outputs["exit-code"] == "1"
    sarif = json.loads(open(outputs["sarif"], encoding="utf-8").read())
    assert outputs["sarif"] == os.path.join(repo.path, "guard.sarif")
    assert sarif["version"] == "2.1.0"
    assert any(r["ruleId"] == "SCOPE001" for r in sarif["runs"][0]["results"])
    # the base came from GITHUB_BASE_REF: only the branch's own commit is in range
    assert "Traceback" not in proc.stderr


def test_action_on_githubs_pull_request_checkout(tmp_path):
    """actions/checkout leaves a pull request detached at GitHub's merge commit: the role
    comes from GITHUB_HEAD_REF, the merge commit GitHub made is not judged as the agent's
    (no COMMIT009), and the files main gained since are not the branch's."""
    repo, merge = _pull_request_merge(tmp_path)
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "HEAD"        # detached
    proc, summary, outputs = _run_action(tmp_path, repo, {"GITHUB_SHA": merge},
                                         sarif="guard.sarif")
    assert proc.returncode == 1 and outputs["exit-code"] == "1", proc
    assert "title=SCOPE001::" in proc.stdout and "Button.tsx" in proc.stdout
    assert "COMMIT009" not in proc.stdout and "README.md" not in proc.stdout, proc.stdout
    assert "COMMIT012" not in proc.stdout        # the SARIF file in the workspace is guard's
    assert "agent/backend/orders' in GITHUB_HEAD_REF" in summary and "1 commit" in summary, summary
    # a job that checked out another commit than GITHUB_SHA gets no role from the variables
    proc, _, outputs = _run_action(tmp_path, repo, {"GITHUB_SHA": "0" * 40})
    assert proc.returncode == 2 and "no role" in proc.stderr, proc
    # the pull request's head checked out instead (ref: the event's pull_request.head.sha)
    head = repo.git("rev-parse", "HEAD^2")
    repo.git("checkout", "-q", "--detach", head)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"sha": head}}}))
    proc, summary, _ = _run_action(tmp_path, repo, {"GITHUB_SHA": merge,
                                                    "GITHUB_EVENT_PATH": str(event)})
    assert proc.returncode == 1 and "title=SCOPE001::" in proc.stdout, proc
    assert "agent/backend/orders' in GITHUB_HEAD_REF" in summary


def test_action_inputs_map_to_options(tmp_path):
    repo = _pull_request(tmp_path)
    # the commit mixes a server and a frontend file: a COMMIT011 warning, no error
    proc, summary, outputs = _run_action(tmp_path, repo, checks="policy, commits",
                                         fail_on="warning", role="backend")
    assert proc.returncode == 1 and outputs == {"exit-code": "1"}, proc
    assert "title=COMMIT011" in proc.stdout and "SCOPE001" not in proc.stdout
    proc, summary, outputs = _run_action(tmp_path, repo, checks="policy,commits",
                                         fail_on="error")
    assert proc.returncode == 0 and outputs == {"exit-code": "0"}, proc
    assert summary, "the job summary is written on a passing run too"

    proc, _, outputs = _run_action(tmp_path, repo, role="frontend", checks="scope",
                                   fail_on="never")
    assert proc.returncode == 0 and outputs["exit-code"] == "0"
    assert "src/server/orders.py" in proc.stdout     # frontend role: the server file is out

    proc, _, _ = _run_action(tmp_path, repo, base="main", checks="scope")
    assert proc.returncode == 1 and "base main " in proc.stdout, proc
    proc, _, _ = _run_action(tmp_path, repo, base="no-such-branch", checks="scope")
    assert proc.returncode == 2 and "no-such-branch" in proc.stderr, proc


def test_action_exit_2_is_an_error_annotation_and_no_sarif_output(tmp_path):
    repo = _pull_request(tmp_path)
    proc, _, outputs = _run_action(tmp_path, repo, checks="nosuchcheck", sarif="out/g.sarif")
    assert proc.returncode == 2
    assert outputs == {"exit-code": "2"}             # nothing for upload-sarif to pick up
    # the annotation carries guard's one-line reason, not only "see the error above"
    [note] = [line for line in proc.stdout.splitlines()
              if line.startswith("::error title=guard::")]
    assert "(exit 2): " in note and "nosuchcheck" in note, note
    assert "nosuchcheck" in proc.stderr and "Traceback" not in proc.stderr


def test_action_yml_runs_the_script_with_every_input():
    action = yaml.safe_load(open(os.path.join(ROOT, "action.yml"), encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    runs = [s for s in steps if "run" in s]
    assert [s["run"] for s in runs] == ['"$GITHUB_ACTION_PATH/ci/github-action.sh" install',
                                        '"$GITHUB_ACTION_PATH/ci/github-action.sh" run']
    script = open(SCRIPT, encoding="utf-8").read()
    passed = {k for s in runs for k in s.get("env", {})}
    for name in action["inputs"]:
        if name == "python-version":
            continue
        var = "INPUT_" + name.upper().replace("-", "_")
        assert var in passed, var
        assert var in script, var
        assert all(s["env"][var] == "${{ inputs.%s }}" % name for s in runs if var in s["env"])
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/"))
    assert "always()" in upload["if"] and "steps.guard.outputs.sarif" in upload["if"]
    assert {"base", "role", "checks", "fail-on", "sarif", "python-version",
            "extras"} <= set(action["inputs"])


def test_action_install_names_the_extras(tmp_path):
    """The install step asks pip for the action's own checkout with the `sql` extra (the
    migrations check runs in CI) and the input's extras; a fake python records the command
    instead of installing."""
    fake = tmp_path / "python"
    log = tmp_path / "argv"
    fake.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {shlex.quote(str(log))}\n")
    fake.chmod(0o755)
    env = dict(os.environ, GITHUB_ACTION_PATH="/actions/guard", INPUT_EXTRAS="contract, postgres",
               PYTHON=str(fake))
    subprocess.run(["bash", SCRIPT, "install"], env=env, check=True)
    assert log.read_text().splitlines()[-1] == "/actions/guard[sql,contract,postgres]"
    env["INPUT_EXTRAS"] = ""
    subprocess.run(["bash", SCRIPT, "install"], env=env, check=True)
    assert log.read_text().splitlines()[-1] == "/actions/guard[sql]"
