"""Size and build time of the fast hooks' pre-commit environment, beside its floor.

Builds the environment pre-commit makes for guard-scope and guard-commit-msg (the light core)
from a clean PRE_COMMIT_HOME, with guard fetched from a clone of this repository's committed
HEAD (file URL, commit SHA as rev), and prints its size (MB) and build time (s). Beside it:
the same core installed with `pip install .` into a fresh virtualenv (the install without
pre-commit), and the floor, an empty virtualenv (virtualenv's own pip, setuptools and wheel,
which every pre-commit Python environment holds before anything is installed into it).
All use pip's cache as it is (run twice for warm-cache figures). Needs the package index.

    .venv/bin/python benchmarks/precommit_env.py
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def size_mb(path: str) -> float:
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            full = os.path.join(folder, name)
            if not os.path.islink(full):
                total += os.lstat(full).st_size
    return total / 1e6


def cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    out.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
                "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid",
                "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.invalid"})
    return out


def main() -> None:
    e = env()
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, env=e, check=True,
                         capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="guard-bench-pc-") as tmp:
        clone = os.path.join(tmp, "guard.git")
        subprocess.run(["git", "clone", "-q", "--bare", "--no-local", ROOT, clone], env=e,
                       check=True)
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        subprocess.run(["git", "init", "-q", project], env=e, check=True)
        with open(os.path.join(project, ".pre-commit-config.yaml"), "w") as fh:
            fh.write(f"repos:\n  - repo: file://{clone}\n    rev: {sha}\n    hooks:\n"
                     "      - id: guard-scope\n      - id: guard-commit-msg\n")
        e["PRE_COMMIT_HOME"] = home = os.path.join(tmp, "home")
        start, cpu0 = time.perf_counter(), cpu()
        subprocess.run([os.path.join(BIN, "pre-commit"), "install-hooks"], cwd=project, env=e,
                       check=True, capture_output=True)
        pc_time, pc_cpu = time.perf_counter() - start, cpu() - cpu0
        envs = [os.path.join(home, d) for d in os.listdir(home)
                if os.path.isdir(os.path.join(home, d))]
        pc_size = sum(size_mb(d) for d in envs)
        # the core without pre-commit: a virtualenv and `pip install .`, nothing else
        src = os.path.join(tmp, "src")
        subprocess.run(["git", "clone", "-q", clone, src], env=e, check=True)
        venv = os.path.join(tmp, "core")
        start, cpu0 = time.perf_counter(), cpu()
        subprocess.run([sys.executable, "-m", "virtualenv", "-q", venv], env=e, check=True)
        subprocess.run([os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", "."], cwd=src, env=e, check=True,
                       capture_output=True)
        core_time, core_cpu = time.perf_counter() - start, cpu() - cpu0
        core_size = size_mb(venv)
        shutil.rmtree(venv)
        # the floor: an empty virtualenv, as pre-commit's environment starts
        start, cpu0 = time.perf_counter(), cpu()
        subprocess.run([sys.executable, "-m", "virtualenv", "-q", venv], env=e, check=True)
        floor_time, floor_cpu = time.perf_counter() - start, cpu() - cpu0
        floor_size = size_mb(venv)
        shutil.rmtree(venv)
    print(f"pre-commit env (guard-scope, guard-commit-msg): {pc_size:6.1f} MB  {pc_time:5.1f} s"
          f"  (cpu {pc_cpu:5.1f} s)")
    print(f"virtualenv + pip install of the core:           {core_size:6.1f} MB  "
          f"{core_time:5.1f} s  (cpu {core_cpu:5.1f} s)")
    print(f"floor: an empty virtualenv:                     {floor_size:6.1f} MB  "
          f"{floor_time:5.1f} s  (cpu {floor_cpu:5.1f} s)")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
