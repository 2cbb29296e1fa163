"""`guard init --tools`: the role contract's tool scripts, written once, calling guard; run for
real on a real repository."""

import os
import subprocess
import sys

from gitrepo import git_env, run_guard
from test_migrations_sql import GOLANG_BASE, project

GUARD = os.path.join(os.path.dirname(sys.executable), "guard")


def test_written_scripts_run_guard_and_are_never_overwritten(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    os.makedirs(os.path.join(repo.path, "tools", "ci"))
    mine = os.path.join(repo.path, "tools", "ci", "openapi-lint.sh")
    with open(mine, "w") as fh:
        fh.write("#!/bin/sh\necho mine\n")
    res = run_guard("init", "--tools", cwd=repo.path)
    assert res.code == 0, res.err
    assert "wrote tools/db/migration-check.sh" in res.out
    assert "kept tools/ci/openapi-lint.sh" in res.out and "not overwritten" in res.out
    with open(mine) as fh:
        assert fh.read() == "#!/bin/sh\necho mine\n"
    script = os.path.join(repo.path, "tools", "db", "migration-check.sh")
    assert os.access(script, os.X_OK)
    # a rollback that leaves a column behind: the script fails with guard's finding
    repo.commit("feat(db): phone", {
        "db/migrations/0003_phone.up.sql": "ALTER TABLE users ADD COLUMN phone text;\n",
        "db/migrations/0003_phone.down.sql": "SELECT 1;\n"})
    env = {**git_env(), "GUARD": GUARD}
    proc = subprocess.run([script, "--base", "main"], cwd=repo.path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "MIG030" in proc.stdout, proc.stdout + proc.stderr
    again = run_guard("init", "--tools", cwd=repo.path)
    assert "kept tools/db/migration-check.sh" in again.out


def test_tools_with_print_is_bad_input(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    res = run_guard("init", "--tools", "--print", cwd=repo.path)
    assert res.code == 2
    [line] = res.err.strip().splitlines()
    assert "--tools" in line


def test_tools_folder_that_is_a_file_is_bad_input(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    with open(os.path.join(repo.path, "tools"), "w") as fh:
        fh.write("x\n")
    res = run_guard("init", "--tools", cwd=repo.path)
    assert res.code == 2
    [line] = res.err.strip().splitlines()
    assert "tools/db" in line and "should be a folder" in line
