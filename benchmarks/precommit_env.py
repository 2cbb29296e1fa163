"""Size and build time of the fast hooks' pre-commit environment, beside its floor.

Builds the environment pre-commit makes for guard-scope and guard-commit-msg (the light core)
from a clean PRE_COMMIT_HOME, with guard fetched from a clone of this repository (file URL,
commit SHA as rev), and prints its size (MB) and build time (s). Beside it: the same core
installed with `pip install .` into a fresh virtualenv (the install without pre-commit), and
the floor, an empty virtualenv (virtualenv's own pip and setuptools, which every pre-commit
Python environment holds before anything is installed into it). All use pip's cache as it is
(run twice for warm-cache figures). Needs the package index.

    .venv/bin/python benchmarks/precommit_env.py                      # HEAD, once
    .venv/bin/python benchmarks/precommit_env.py --rev 148ecbf --rev HEAD --rounds 5

With several --rev, the rounds alternate (A, B, A, B, ...) so that both see the same load;
the table gives per commit the median and min of the build time and the median CPU time.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import shutil
import statistics
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


def timed(cmd: list[str], **kw) -> tuple[float, float]:
    """Wall and CPU seconds of one command (which must succeed)."""
    start, cpu0 = time.perf_counter(), cpu()
    subprocess.run(cmd, check=True, **kw)
    return time.perf_counter() - start, cpu() - cpu0


def precommit_env(tmp: str, clone: str, sha: str, e: dict[str, str]) -> tuple[float, ...]:
    """(MB, wall s, CPU s) of the environment `pre-commit install-hooks` builds for the
    fast hooks, with the clone pre-commit keeps beside it."""
    project = os.path.join(tmp, "project")
    home = os.path.join(tmp, "home")
    subprocess.run(["git", "init", "-q", project], env=e, check=True)
    with open(os.path.join(project, ".pre-commit-config.yaml"), "w") as fh:
        fh.write(f"repos:\n  - repo: file://{clone}\n    rev: {sha}\n    hooks:\n"
                 "      - id: guard-scope\n      - id: guard-commit-msg\n")
    wall, used = timed([os.path.join(BIN, "pre-commit"), "install-hooks"], cwd=project,
                       env={**e, "PRE_COMMIT_HOME": home}, capture_output=True)
    size = sum(size_mb(os.path.join(home, d)) for d in os.listdir(home)
               if os.path.isdir(os.path.join(home, d)))
    shutil.rmtree(project)
    shutil.rmtree(home)
    return size, wall, used


def core_install(tmp: str, clone: str, sha: str, e: dict[str, str]) -> tuple[float, ...]:
    """(MB, wall s, CPU s) of a virtualenv and `pip install .` of the core, nothing else."""
    src = os.path.join(tmp, "src")
    subprocess.run(["git", "clone", "-q", clone, src], env=e, check=True)
    subprocess.run(["git", "checkout", "-q", sha], cwd=src, env=e, check=True)
    venv = os.path.join(tmp, "core")
    w1, c1 = timed([sys.executable, "-m", "virtualenv", "-q", venv], env=e)
    w2, c2 = timed([os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", "."], cwd=src, env=e, capture_output=True)
    size = size_mb(venv)
    shutil.rmtree(venv)
    shutil.rmtree(src)
    return size, w1 + w2, c1 + c2


def floor(tmp: str, e: dict[str, str]) -> tuple[float, ...]:
    """(MB, wall s, CPU s) of an empty virtualenv, as pre-commit's environment starts."""
    venv = os.path.join(tmp, "floor")
    wall, used = timed([sys.executable, "-m", "virtualenv", "-q", venv], env=e)
    size = size_mb(venv)
    shutil.rmtree(venv)
    return size, wall, used


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", action="append", help="a commit to measure (repeatable; "
                    "default HEAD); several alternate round by round")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    e = env()
    revs = args.rev or ["HEAD"]
    shas = [subprocess.run(["git", "rev-parse", "--verify", f"{r}^{{commit}}"], cwd=ROOT,
                           env=e, check=True, capture_output=True, text=True).stdout.strip()
            for r in revs]
    rows: dict[str, dict[str, list[tuple[float, ...]]]] = {
        s: {"pc": [], "core": []} for s in shas}
    floors: list[tuple[float, ...]] = []
    loads: list[float] = []
    began = datetime.datetime.now(datetime.timezone.utc)
    with tempfile.TemporaryDirectory(prefix="guard-bench-pc-") as tmp:
        clone = os.path.join(tmp, "guard.git")
        subprocess.run(["git", "clone", "-q", "--bare", "--no-local", ROOT, clone], env=e,
                       check=True)
        for n in range(args.rounds):
            for rev, sha in zip(revs, shas):
                loads.append(os.getloadavg()[0])
                pc = precommit_env(tmp, clone, sha, e)
                core = core_install(tmp, clone, sha, e)
                rows[sha]["pc"].append(pc)
                rows[sha]["core"].append(core)
                print(f"round {n + 1} {rev} ({sha[:7]}): pre-commit env {pc[0]:5.1f} MB "
                      f"{pc[1]:5.1f} s (cpu {pc[2]:4.1f} s); core install {core[0]:5.1f} MB "
                      f"{core[1]:5.1f} s (cpu {core[2]:4.1f} s); load {loads[-1]:.2f}",
                      flush=True)
            floors.append(floor(tmp, e))
    ended = datetime.datetime.now(datetime.timezone.utc)

    def line(label: str, runs: list[tuple[float, ...]]) -> str:
        walls = [r[1] for r in runs]
        return (f"{label:<50} {statistics.median(r[0] for r in runs):6.1f} MB  "
                f"{statistics.median(walls):5.1f} s (min {min(walls):5.1f} s)  "
                f"cpu {statistics.median(r[2] for r in runs):5.1f} s")

    print(f"\n{args.rounds} round(s), {began:%Y-%m-%d %H:%M}-{ended:%H:%M} UTC, "
          f"load average {min(loads):.2f}-{max(loads):.2f}; median (min) over the rounds")
    for rev, sha in zip(revs, shas):
        print(f"{rev} ({sha[:7]}):")
        print(line("  pre-commit env (guard-scope, guard-commit-msg):", rows[sha]["pc"]))
        print(line("  virtualenv + pip install of the core:", rows[sha]["core"]))
    print(line("floor: an empty virtualenv:", floors))


if __name__ == "__main__":
    main()
