#!/usr/bin/env python3
"""Claude Code hook benchmark on a synthetic 100,000-file repository.

Builds the same repository as benchmarks/scope.py (its generator, imported), with an agent
branch of a realistic size (20 changed files by default) plus a few uncommitted and untracked
files, then times `guard hook claude` end to end as Claude Code runs it: a fresh process with
the event JSON on stdin. Every run's exit code (and for blocks, the rule in the message) is
checked outside the clock. Baselines side by side, in the same rounds: interpreter start-up,
`guard --help`, a plain `git status --porcelain`, and the very status command the Stop hook
runs (its floor). Then the same Stop figures and floors again with git's untracked cache
switched on (`core.untrackedCache`). Target: each hook well under 200 ms. See
benchmarks/README.md.

    python benchmarks/hooks.py [--files N] [--changed N] [--repeat N] [--workdir DIR [--reuse]]
                               [--keep] [--strict] [--against SRC]

--against SRC times a second guard (its package folder's parent, e.g. the `src` of an older
checkout: `git archive OLD src | tar -x -C /tmp/old`) on the same Stop events, in the same
rounds: an A/B of a change that a shared machine's load swings would otherwise drown.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scope as sc  # noqa: E402  (the 100k-file generator)

TARGET = 0.200


def event(repo: str, name: str, **fields) -> bytes:
    base = {"session_id": "bench", "transcript_path": "/tmp/bench.jsonl", "cwd": repo,
            "permission_mode": "default", "hook_event_name": name}
    base.update(fields)
    return json.dumps(base).encode()


def write(repo: str, rel: str, tool: str = "Write") -> bytes:
    key = "notebook_path" if tool == "NotebookEdit" else "file_path"
    return event(repo, "PreToolUse", tool_name=tool, tool_use_id="toolu_bench",
                 tool_input={key: os.path.join(repo, rel), "content": "x = 1\n"},
                 agent_type="engineering-backend")


def bash(repo: str, command: str) -> bytes:
    return event(repo, "PreToolUse", tool_name="Bash", tool_use_id="toolu_bench",
                 tool_input={"command": command, "description": "bench"})


def expect(code: int, words: str | None = None):
    def verify(proc):
        if proc.returncode != code:
            raise sc.BenchError(f"guard hook claude exited {proc.returncode}, expected {code}: "
                                f"{proc.stderr.decode()[-400:]}")
        text = proc.stderr.decode() + proc.stdout.decode()
        if words and words not in text:
            raise sc.BenchError(f"expected {words!r} in the hook's answer, got {text[-400:]!r}")
    return verify


CPU: dict[str, list[float]] = {}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(cmd, cwd, payload: bytes | None, verify=None, env=None, **kw):
    before = _cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env or sc.ENV, input=payload, check=False,
                          **(kw or {"capture_output": True}))
    wall = time.perf_counter() - start
    used = _cpu() - before
    if verify:
        verify(proc)
    return wall, used


def rounds(measurements, cwd, repeat, tag: str | None = None) -> dict[str, list[float]]:
    """Each measurement once per round, ``repeat`` rounds: the figures compared side by side
    share the machine's ups and downs instead of meeting them one after another. Named
    "<name> [<tag>]" (with a tag)."""
    def key(name: str) -> str:
        return name if tag is None else f"{name} [{tag}]"
    t: dict[str, list[float]] = {key(name): [] for name, *_ in measurements}
    for name in t:
        CPU[name] = []
    for _ in range(repeat):
        for name, cmd, payload, verify, kw in measurements:
            wall, used = run_once(cmd, cwd, payload, verify, **kw)
            t[key(name)].append(wall)
            CPU[key(name)].append(used)
    return t


# The least a Python hook pays that reads the event, the project's YAML configuration and asks
# git one question (no policy, no decision): the floor under the PreToolUse figures.
HOOK_FLOOR = """
import json, subprocess, sys, yaml
json.load(sys.stdin)
with open("company.config.yaml", "rb") as fh:
    yaml.safe_load(fh)
subprocess.run(["git", "rev-parse", "HEAD"], stdout=subprocess.DEVNULL, check=True)
"""


def table(t: dict[str, list[float]], runs: int, title: str) -> None:
    print(f"\n{title + ' (' + str(runs) + ' runs)':<46}{'wall med':>9}{'min':>8}{'max':>8}"
          f"{'cpu med':>9}")
    for name, values in t.items():
        print(f"{name:<46}{statistics.median(values) * 1000:>7.0f}ms"
              f"{min(values) * 1000:>6.0f}ms{max(values) * 1000:>6.0f}ms"
              f"{statistics.median(CPU[name]) * 1000:>7.0f}ms")


def against(src: str) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run the guard package under ``src`` (compiled to
    bytecode first, as an installed guard is)."""
    import compileall

    folder = os.path.abspath(src)
    if not os.path.isfile(os.path.join(folder, "guard", "__init__.py")):
        raise sc.BenchError(f"--against: {folder} holds no guard package (guard/__init__.py)")
    compileall.compile_dir(os.path.join(folder, "guard"), quiet=1)
    return [sys.executable, "-m", "guard", "hook", "claude"], dict(sc.ENV, PYTHONPATH=folder)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--changed", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true",
                    help="measure DIR/repo of an earlier --workdir run instead of building it")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--against", metavar="SRC",
                    help="also time the guard package under SRC on the Stop events, same rounds")
    args = ap.parse_args()
    if args.reuse and not args.workdir:
        ap.error("--reuse needs --workdir")
    for key, value in sc.machine():
        print(f"{key:<9} {value}")
    workdir = args.workdir or tempfile.mkdtemp(prefix="guard-hooks-bench-")
    repo = os.path.join(os.path.abspath(workdir), "repo")
    if os.path.exists(repo) and not args.reuse:
        raise sc.BenchError(f"{repo} exists; remove it, pick another --workdir or pass --reuse")
    if args.reuse and not os.path.isdir(os.path.join(repo, ".git")):
        raise sc.BenchError(f"--reuse: {repo} is not a repository built by this script")
    try:
        return bench(args, repo)
    finally:
        if args.workdir or args.keep:
            print(f"\nrepository kept at {repo}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def bench(args, repo: str) -> int:
    from guard.git import STATUS_ARGS      # the Stop hook's one scan of the working tree

    base, changes = sc.plan(args.files, args.changed)
    owned = next(p for p in base if p.startswith("src/api/"))
    if args.reuse:
        how = "reused (built by an earlier run)"
        # the first phase runs without git's untracked cache, as a fresh clone has none
        subprocess.run(["git", "config", "--unset", "core.untrackedCache"], cwd=repo,
                       env=sc.ENV, capture_output=True, check=False)
        sc.run(["git", "update-index", "--no-untracked-cache"], repo)
    else:
        built = sc.build_repo(repo, base, changes)
        how = f"built in {built['fast-import']:.1f} s + {built['checkout']:.1f} s"
        # uncommitted work, as an agent leaves it mid-task: one modified owned file, one
        # untracked file in a forbidden folder (the Stop hook must see both)
        with open(os.path.join(repo, owned), "a", encoding="utf-8") as fh:
            fh.write("# edited, not committed\n")
        with open(os.path.join(repo, "src/components/Untracked.tsx"), "w",
                  encoding="utf-8") as fh:
            fh.write("export {}\n")
    status = sc.run(["git", "status", "--porcelain"], repo).stdout.decode()
    if status.splitlines() != [f" M {owned}", "?? src/components/Untracked.tsx"]:
        raise sc.BenchError(f"the working tree is not as planned: {status!r}")
    print(f"repo      {args.files} files; branch {sc.BRANCH} with {len(changes)} changed "
          f"file(s) plus 1 modified and 1 untracked file; {how}")
    r, guard = args.repeat, sc.guard_cmd() + ["hook", "claude"]
    # (the status above warmed the page cache and git's index: every later run is warm too)

    stop = ("Stop, branch + working tree (block)", event(repo, "Stop", stop_hook_active=False),
            expect(2, "SCOPE001"))
    subagent = ("SubagentStop, checked (block)",
                event(repo, "SubagentStop", stop_hook_active=False,
                      agent_type="engineering-backend"), expect(2, "COMMIT012"))
    cases = [
        ("PreToolUse Write, owned (allow)", write(repo, "src/api/orders/new_handler.py"),
         expect(0)),
        ("PreToolUse Edit, forbidden (block)",
         write(repo, "src/components/Button.tsx", "Edit"), expect(2, "SCOPE001")),
        ("PreToolUse Write, shared (reminder)", write(repo, "src/types/order.ts"),
         expect(0, "SCOPE002")),
        ("PreToolUse Bash, no write target", bash(repo, "pytest -q tests/api"), expect(0)),
        ("PreToolUse Bash, redirect (block)",
         bash(repo, "npm run build > deploy/build.log 2>&1"), expect(2, "SCOPE001")),
        ("SubagentStop, stop_hook_active", event(repo, "SubagentStop", stop_hook_active=True,
                                                  agent_type="engineering-backend"),
         expect(0)),
    ]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    floor_name = "python floor: event + YAML + 1 git"
    t = rounds([(name, guard, payload, verify, {}) for name, payload, verify in cases]
               + [(floor_name, [sys.executable, "-c", HOOK_FLOOR], cases[0][1], expect(0), {}),
                  ("guard --help", sc.guard_cmd() + ["--help"], None, None, quiet)],
               repo, r)
    table(t, r, "hooks (alternating rounds)")
    print("PreToolUse writes above the Python floor: " + ", ".join(
        f"{statistics.median(t[name]) - statistics.median(t[floor_name]):+.3f} s"
        for name, _p, _v in cases[:3]))

    # the Stop hook against its floor, in the same rounds: interpreter start-up, git status
    # as a user runs it, and exactly the status the hook runs (no index lock, as guard runs
    # every git command)
    no_lock = dict(sc.ENV, GIT_OPTIONAL_LOCKS="0")
    floors = [
        ("python -c pass", [sys.executable, "-c", "pass"], None, None, quiet),
        ("git status --porcelain", ["git", "status", "--porcelain"], None, None, quiet),
        ("git " + " ".join(STATUS_ARGS[:2]) + " (guard's)", ["git", *STATUS_ARGS], None, None,
         dict(quiet, env=no_lock)),
    ]
    hooks = [(name, guard, payload, verify, {}) for name, payload, verify in (stop, subagent)]
    if args.against:
        other, other_env = against(args.against)
        hooks += [(f"{name} (against)", other, payload, verify, {"env": other_env})
                  for name, payload, verify in (stop, subagent)]
    for tag in ("no UC", "UC"):
        if tag == "UC":
            # what `git config core.untrackedCache true` does for a user: the next plain
            # git status (which may take the index lock) writes the cache into the index
            sc.run(["git", "config", "core.untrackedCache", "true"], repo)
            sc.run(["git", "status", "--porcelain"], repo)
            with open(os.path.join(repo, ".git", "index"), "rb") as fh:
                if b"UNTR" not in fh.read():
                    raise sc.BenchError("git wrote no untracked cache into the index")
        print(f"\n[{tag}] {'with' if tag == 'UC' else 'without'} git's untracked cache; "
              f"load {load()}")
        figures = rounds(floors + hooks, repo, r, tag)
        table(figures, r, "Stop and its floor")
        t.update(figures)

    print(f"\nload at the end: {load()}")
    floor_name = floors[2][0]
    for tag in ("no UC", "UC"):
        if args.against:
            new, old = f"{stop[0]} [{tag}]", f"{stop[0]} (against) [{tag}]"
            print(f"[{tag}] Stop against {args.against}: "
                  f"{(statistics.median(t[new]) - statistics.median(t[old])) * 1000:+.0f} ms "
                  f"median, {(min(t[new]) - min(t[old])) * 1000:+.0f} ms min, "
                  f"{(statistics.median(CPU[new]) - statistics.median(CPU[old])) * 1000:+.0f} "
                  "ms cpu")
        hook, floor = f"{stop[0]} [{tag}]", f"{floor_name} [{tag}]"
        med, fmed = statistics.median(t[hook]), statistics.median(t[floor])
        best, fbest = min(t[hook]), min(t[floor])
        cpu, fcpu = statistics.median(CPU[hook]), statistics.median(CPU[floor])
        print(f"[{tag}] Stop {med * 1000:.0f} ms median, {best * 1000:.0f} ms min, "
              f"{cpu * 1000:.0f} ms cpu; its git status {fmed * 1000:.0f} / {fbest * 1000:.0f}"
              f" / {fcpu * 1000:.0f} ms; guard's own share {(med - fmed) * 1000:+.0f} ms median,"
              f" {(best - fbest) * 1000:+.0f} ms min, {(cpu - fcpu) * 1000:+.0f} ms cpu")
    print()
    ok_all = True
    verdicts = [name for name, _p, _v in cases] + \
        [f"{name} [{tag}]" for name, _p, _v in (stop, subagent) for tag in ("no UC", "UC")]
    for name in verdicts:
        med, best = statistics.median(t[name]), min(t[name])
        ok = med < TARGET
        ok_all &= ok
        print(f"{'PASS' if ok else 'FAIL'}  {name:<46} wall median {med * 1000:.0f} ms, "
              f"min {best * 1000:.0f} ms, cpu {statistics.median(CPU[name]) * 1000:.0f} ms "
              f"(target < {TARGET * 1000:.0f} ms)")
    return 1 if args.strict and not ok_all else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except sc.BenchError as exc:
        print(f"benchmark error: {exc}", file=sys.stderr)
        sys.exit(2)
