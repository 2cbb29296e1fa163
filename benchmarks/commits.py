#!/usr/bin/env python3
"""Commit-check benchmark: guard vs. gitlint vs. commitizen on a 5,000-commit branch.

Builds `main` (company.config.yaml, conventional style, role backend) and
`agent/backend/commits` (N commits, one small file change each, a deterministic mix of good
and bad messages) with `git fast-import`, checks the branch out, and times in one run:

  guard check --only commits --base main --format json
  gitlint --commits main..agent/backend/commits   (conventional-commits contrib rule CT1,
                                                   body lines 100, body-is-missing off)
  cz check --rev-range main..agent/backend/commits

It prints wall times (median of --repeat runs, guard and cz alternating; gitlint runs once
when one run exceeds 60 s), ratios to guard, and per-commit agreement with guard's verdict (a commit fails under a
tool when the tool reports anything for it; under guard, when guard reports an error for it).
A peer tool that is missing is reported as missing, never silently skipped: install both
with `pip install gitlint commitizen`.

    python benchmarks/commits.py [--commits N] [--repeat N] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BRANCH = "agent/backend/commits"
CONFIG = b"conventions:\n  commit_style: conventional\nguard:\n  role: backend\n"
DATE = 1764115200
EMAIL = "agent@example.com"
WORDS = ["orders", "users", "billing", "auth", "search", "catalog", "inventory", "payments",
         "reports", "shipping"]
SCOPES = ["api", "db", "jobs", "server"]


def message(i: int, rng: random.Random) -> str:
    w, s = rng.choice(WORDS), rng.choice(SCOPES)
    kind = rng.choices(
        ["good", "good-body", "breaking", "no-type", "unknown-type", "no-space", "period",
         "long", "wip", "fixup", "no-blank", "long-body", "upper-type", "tmp", "revert"],
        [50, 15, 3, 4, 3, 2, 3, 3, 3, 3, 2, 2, 2, 2, 3])[0]
    if kind == "good":
        return f"feat({s}): add {w} endpoint {i}"
    if kind == "good-body":
        return (f"fix({s}): handle empty {w} list {i}\n\nThe {w} list returned null when "
                f"empty; it now returns [].\n\nRefs: TASK-{i}")
    if kind == "breaking":
        return f"refactor({s})!: rename {w} ids {i}\n\nBREAKING CHANGE: {w} ids are strings"
    if kind == "no-type":
        return f"Update {w} handling {i}"
    if kind == "unknown-type":
        return f"feature({s}): add {w} export {i}"
    if kind == "no-space":
        return f"feat({s}):add {w} filter {i}"
    if kind == "period":
        return f"fix({s}): correct {w} totals {i}."
    if kind == "long":
        return f"feat({s}): add the {w} endpoint with paging, filters, sorting and export {i}"
    if kind == "wip":
        return f"WIP {w} {i}"
    if kind == "fixup":
        return f"fixup! feat({s}): add {w} endpoint {i - 1}"
    if kind == "no-blank":
        return f"docs({s}): explain {w} {i}\nthe body starts right under the header"
    if kind == "long-body":
        return f"perf({s}): cache {w} {i}\n\n" + f"{w} lookups " * 12
    if kind == "upper-type":
        return f"Feat({s}): add {w} search {i}"
    if kind == "tmp":
        return "chore: tmp"
    return f'Revert "feat({s}): add {w} endpoint {i - 3}"\n\nThis reverts commit ' \
           f'{rng.getrandbits(160):040x}.'


def fast_import(root: str, count: int) -> dict[str, str]:
    """main + the branch; returns {sha: header} of the branch's commits."""
    rng = random.Random(5)
    out = []

    def data(raw: bytes) -> None:
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(ref: str, mark: int, msg: str, files: dict[str, bytes], parent: int | None):
        out.append(f"commit refs/heads/{ref}\nmark :{mark}\n"
                   f"author Bench Agent <{EMAIL}> {DATE + mark} +0000\n"
                   f"committer Bench Agent <{EMAIL}> {DATE + mark} +0000\n".encode())
        data(msg.encode())
        if parent:
            out.append(f"from :{parent}\n".encode())
        for path, content in files.items():
            out.append(f"M 100644 inline {path}\n".encode())
            data(content)

    commit("main", 1, "chore: base", {"company.config.yaml": CONFIG,
                                      "README.md": b"# bench\n"}, None)
    parent = 1
    for i in range(count):
        mark = i + 2
        commit(BRANCH, mark, message(i, rng),
               {f"src/api/mod{i % 50}.py": f"VALUE = {i}\n".encode()}, parent)
        parent = mark
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(out), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", BRANCH], cwd=root, check=True)
    log = subprocess.run(["git", "log", "-z", "--format=%H%x00%s", f"main..{BRANCH}"], cwd=root,
                         capture_output=True, check=True).stdout.decode().split("\0")
    return {log[i].strip("\n"): log[i + 1] for i in range(0, len(log) - 1, 2)}


CPU: dict[str, list[float]] = {}    # argv[0] -> CPU seconds (user + sys, with git children)


def timed(argv: list[str], cwd: str, ok: tuple[int, ...]) -> tuple[float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(" ".join(argv[:4]), []).append(
        after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv[:3])} exited {proc.returncode}: "
                         f"{(proc.stderr or proc.stdout)[-800:]}")
    return elapsed, proc


def measure(argv, cwd, ok, repeat):
    times, proc = [], None
    for _ in range(repeat):
        t, proc = timed(argv, cwd, ok)
        times.append(t)
        if t > 60:
            break
    return statistics.median(times), len(times), proc


def tool(name: str) -> str | None:
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.exists(here) else shutil.which(name)


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {git}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    root = args.workdir or tempfile.mkdtemp(prefix="guard-bench-commits-")
    os.makedirs(root, exist_ok=True)
    env_clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    os.environ.clear()
    os.environ.update(env_clean)
    try:
        subprocess.run(["git", "init", "-q", "-b", "main", root], check=True)
        t0 = time.perf_counter()
        headers = fast_import(root, args.commits)
        print(f"machine: {machine()}")
        print(f"repository: {len(headers)} commits on {BRANCH} (fast-import "
              f"{time.perf_counter() - t0:.1f}s) in {root}\n")
        rng_range = f"main..{BRANCH}"
        rows, verdicts = [], {}

        guard_argv = [sys.executable, "-m", "guard", "check", "--only", "commits", "--base",
                      "main", "--format", "json"]
        gitlint, cz = tool("gitlint"), tool("cz")
        gitlint_argv = [gitlint, "--contrib", "contrib-title-conventional-commits", "--ignore",
                        "B6,B5", "-c", "body-max-line-length.line-length=100",
                        "--commits", rng_range]
        cz_argv = [cz, "check", "--rev-range", rng_range]
        # guard and cz alternate, so a busy machine slows both alike; gitlint runs last
        times: dict[str, list[float]] = {"guard": [], "cz": []}
        procs = {}
        for _ in range(args.repeat):
            t, procs["guard"] = timed(guard_argv, root, (0, 1))
            times["guard"].append(t)
            if cz:
                t, procs["cz"] = timed(cz_argv, root, tuple(range(0, 30)))
                times["cz"].append(t)
        guard_time = statistics.median(times["guard"])
        data = json.loads(procs["guard"].stdout)
        errors = {f["data"]["commit"] for f in data["findings"]
                  if f["severity"] == "error" and f.get("data", {}).get("commit")}
        verdicts["guard"] = {sha: sha in errors for sha in headers}
        rows.append(("guard check --only commits", guard_time, len(times["guard"]),
                     f"{len(errors)} commits with errors", " ".join(guard_argv[:4])))

        if gitlint:
            t, n, proc = measure(gitlint_argv, root, tuple(range(0, 254)), args.repeat)
            bad_short = set(re.findall(r"^Commit ([0-9a-f]+):", proc.stderr + proc.stdout, re.M))
            verdicts["gitlint"] = {sha: any(sha.startswith(s) for s in bad_short)
                                   for sha in headers}
            rows.append(("gitlint --commits A..B", t, n, f"{len(bad_short)} commits flagged",
                         " ".join(gitlint_argv[:4])))
        else:
            rows.append(("gitlint --commits A..B", None, 0,
                         "MISSING: pip install gitlint (not measured)", ""))

        if cz:
            bad = set(re.findall(r'commit "([0-9a-f]{40})"', procs["cz"].stdout +
                                 procs["cz"].stderr))
            verdicts["commitizen"] = {sha: sha in bad for sha in headers}
            rows.append(("cz check --rev-range A..B", statistics.median(times["cz"]),
                         len(times["cz"]), f"{len(bad)} commits flagged", " ".join(cz_argv[:4])))
        else:
            rows.append(("cz check --rev-range A..B", None, 0,
                         "MISSING: pip install commitizen (not measured)", ""))

        guard_cpu = statistics.median(CPU[rows[0][4]])
        print(f"{'tool':<30} {'wall (s)':>9} {'vs guard':>9} {'CPU (s)':>8} {'vs guard':>9} "
              f"{'runs':>5}  result")
        for name, t, n, note, key in rows:
            if t is None:
                print(f"{name:<30} {'-':>9} {'-':>9} {'-':>8} {'-':>9} {'-':>5}  {note}")
            else:
                cpu = statistics.median(CPU[key])
                print(f"{name:<30} {t:>9.2f} {t / guard_time:>8.1f}x {cpu:>8.2f} "
                      f"{cpu / guard_cpu:>8.1f}x {n:>5}  {note}")
        print(f"(wall: median; CPU: user + sys of the tool and its git children, median — on a "
              f"busy machine wall time measures the run queue, CPU time does not; load average "
              f"{os.getloadavg()[0]:.1f})")
        print()
        for name in ("gitlint", "commitizen"):
            if name not in verdicts:
                print(f"agreement with guard, {name}: not measured (tool missing)")
                continue
            same = sum(verdicts[name][s] == verdicts["guard"][s] for s in headers)
            only_guard = [s for s in headers if verdicts["guard"][s] and not verdicts[name][s]]
            only_tool = [s for s in headers if verdicts[name][s] and not verdicts["guard"][s]]
            print(f"agreement with guard, {name}: {same}/{len(headers)} commits "
                  f"({100 * same / len(headers):.1f} %); guard only {len(only_guard)}, "
                  f"{name} only {len(only_tool)}")
            for label, shas in (("guard only", only_guard), (f"{name} only", only_tool)):
                kinds: dict[str, int] = {}
                for sha in shas:
                    kinds[_shape(headers[sha])] = kinds.get(_shape(headers[sha]), 0) + 1
                if kinds:
                    print(f"    {label}: " + ", ".join(f"{k} ×{v}" for k, v in
                                                      sorted(kinds.items(), key=lambda x: -x[1])))
        # a typical agent branch is short: the same tools on its first 20 commits, where
        # start-up cost dominates
        small = f"{BRANCH}~{len(headers) - 20}" if len(headers) > 20 else BRANCH
        short_argv = {
            "guard": [sys.executable, "-m", "guard", "check", "--only", "commits", "--base",
                      "main", "--head", small, "--format", "json"],
            "gitlint": gitlint and [gitlint, "--contrib", "contrib-title-conventional-commits",
                                    "--ignore", "B6,B5", "--commits", f"main..{small}"],
            "cz": cz and [cz, "check", "--rev-range", f"main..{small}"],
        }
        print(f"\n20-commit range (main..{small}), median of {max(args.repeat, 5)} runs:")
        for name, argv in short_argv.items():
            if not argv:
                print(f"  {name:<8} MISSING")
                continue
            runs = [timed(argv, root, tuple(range(0, 254)))[0] for _ in range(max(args.repeat, 5))]
            cpu = statistics.median(CPU[" ".join(argv[:4])][-len(runs):])
            print(f"  {name:<8} wall {statistics.median(runs):.2f} s, CPU {cpu:.2f} s")
        missing = [r for r in rows if r[1] is None]
        return 1 if missing else 0
    finally:
        if args.keep or args.workdir:
            print(f"\nkept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _shape(header: str) -> str:
    """A header with its numbers and words replaced, to group disagreements."""
    text = re.sub(r"\d+", "N", header)
    for word in WORDS:
        text = text.replace(word, "W")
    for scope in SCOPES:
        text = text.replace(f"({scope})", "(S)")
    return repr(text[:48])


if __name__ == "__main__":
    sys.exit(main())
