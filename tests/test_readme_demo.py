"""The README's first command, run exactly as written on a fresh clone: a new virtualenv, the
install, and `guard demo`. Slow (an install); CI runs it."""

import os
import re
import subprocess
import sys

import pytest

from gitrepo import git_env

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def first_command() -> str:
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert commands[0].endswith("guard demo"), commands
    return commands[0]


def test_the_readmes_demo_command_works_on_a_fresh_clone(tmp_path):
    clone = str(tmp_path / "guard")
    subprocess.run(["git", "clone", "-q", ROOT, clone], check=True, env=git_env())
    env = {k: v for k, v in git_env().items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    # the interpreter running the tests stands for `python3` on the user's PATH
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(["bash", "-c", first_command()], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "found 7 error(s) and 4 warning(s) on the agent branch, as expected" in proc.stderr
    assert "COMMIT008" in proc.stdout and "| Commit | Header |" in proc.stdout
