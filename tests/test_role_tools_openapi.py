"""`guard init --tools`'s ./tools/ci/openapi-lint.sh, run for real: on a branch that adds a
route departing from api.* it fails with guard's contract finding (test_role_tools.py runs
migration-check.sh)."""

import os
import subprocess
import sys

from gitrepo import git_env, run_guard
from test_contract_apistyle import ADDED, BASE, _project, _with_added

GUARD = os.path.join(os.path.dirname(sys.executable), "guard")


def test_written_openapi_lint_runs_the_contract_check(tmp_path):
    repo = _project(tmp_path, "staff")
    res = run_guard("init", "--tools", cwd=repo.path)
    assert res.code == 0 and "wrote tools/ci/openapi-lint.sh" in res.out, res.err
    script = os.path.join(repo.path, "tools", "ci", "openapi-lint.sh")
    env = {**git_env(), "GUARD": GUARD}
    clean = subprocess.run([script, "--base", "main"], cwd=repo.path, env=env,
                           capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    repo.commit("feat(api): items", {"artifacts/api/openapi.yaml": _with_added(BASE, ADDED)})
    proc = subprocess.run([script, "--base", "main"], cwd=repo.path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "CONTRACT021" in proc.stdout, proc.stdout + proc.stderr
