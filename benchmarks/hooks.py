#!/usr/bin/env python3
"""Claude Code hook benchmark on a synthetic 100,000-file repository.

Builds the same repository as benchmarks/scope.py (its generator, imported), with an agent
branch of a realistic size (20 changed files by default) plus a few uncommitted and untracked
files, then times `guard hook claude` end to end as Claude Code runs it: a fresh process with
the event JSON on stdin. Every run's exit code (and for blocks, the rule in the message) is
checked outside the clock. Baselines side by side: interpreter start-up, `guard --help`, and
`git status` (what any Stop hook must at least pay on this repository). Target: each hook
well under 200 ms. See benchmarks/README.md.

    python benchmarks/hooks.py [--files N] [--changed N] [--repeat N] [--workdir DIR] [--keep]
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


def timed_stdin(name, cmd, cwd, repeat, payload: bytes | None, verify=None, **kw):
    """Wall clock of each run, and (in CPU[name]) the CPU seconds the process and its git
    children used: on a busy machine wall time mostly measures the queue, CPU time does not."""
    times, cpu = [], []
    for _ in range(repeat):
        before = _cpu()
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=sc.ENV, input=payload, check=False,
                              **(kw or {"capture_output": True}))
        times.append(time.perf_counter() - start)
        cpu.append(_cpu() - before)
        if verify:
            verify(proc)
    CPU[name] = cpu
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--changed", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    for key, value in sc.machine():
        print(f"{key:<9} {value}")
    workdir = args.workdir or tempfile.mkdtemp(prefix="guard-hooks-bench-")
    repo = os.path.join(os.path.abspath(workdir), "repo")
    if os.path.exists(repo):
        raise sc.BenchError(f"{repo} exists; remove it or pick another --workdir")
    try:
        return bench(args, repo)
    finally:
        if args.workdir or args.keep:
            print(f"\nrepository kept at {repo}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def bench(args, repo: str) -> int:
    base, changes = sc.plan(args.files, args.changed)
    built = sc.build_repo(repo, base, changes)
    # uncommitted work, as an agent leaves it mid-task: one modified owned file, one
    # untracked file in a forbidden folder (the Stop hook must see both)
    owned = next(p for p in base if p.startswith("src/api/"))
    with open(os.path.join(repo, owned), "a", encoding="utf-8") as fh:
        fh.write("# edited, not committed\n")
    with open(os.path.join(repo, "src/components/Untracked.tsx"), "w", encoding="utf-8") as fh:
        fh.write("export {}\n")
    print(f"repo      {args.files} files; branch {sc.BRANCH} with {len(changes)} changed "
          f"file(s) plus 1 modified and 1 untracked file; built in "
          f"{built['fast-import']:.1f} s + {built['checkout']:.1f} s")
    r, guard = args.repeat, sc.guard_cmd() + ["hook", "claude"]
    # warm the page cache and git's index once (every later run is warm too)
    sc.run(["git", "status", "--porcelain"], repo)

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
        ("Stop, branch + working tree (block)", event(repo, "Stop", stop_hook_active=False),
         expect(2, "SCOPE001")),
        ("SubagentStop, stop_hook_active", event(repo, "SubagentStop", stop_hook_active=True,
                                                  agent_type="engineering-backend"),
         expect(0)),
    ]
    t: dict[str, list[float]] = {}
    for name, payload, verify in cases:
        t[name] = timed_stdin(name, guard, repo, r, payload, verify)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    t["python -c pass"] = timed_stdin("python -c pass", [sys.executable, "-c", "pass"], repo,
                                      r, None, **quiet)
    t["guard --help"] = timed_stdin("guard --help", sc.guard_cmd() + ["--help"], repo, r, None,
                                    **quiet)
    t["git status --porcelain"] = timed_stdin("git status --porcelain",
                                              ["git", "status", "--porcelain"], repo, r, None,
                                              **quiet)

    print(f"\n{'measurement (' + str(r) + ' runs)':<40}{'wall med':>9}{'min':>8}{'max':>8}"
          f"{'cpu med':>9}")
    for name, values in t.items():
        print(f"{name:<40}{statistics.median(values) * 1000:>7.0f}ms"
              f"{min(values) * 1000:>6.0f}ms{max(values) * 1000:>6.0f}ms"
              f"{statistics.median(CPU[name]) * 1000:>7.0f}ms")
    print()
    ok_all = True
    for name, _payload, _verify in cases:
        med, best = statistics.median(t[name]), min(t[name])
        ok = med < TARGET
        ok_all &= ok
        print(f"{'PASS' if ok else 'FAIL'}  {name:<40} wall median {med * 1000:.0f} ms, "
              f"min {best * 1000:.0f} ms, cpu {statistics.median(CPU[name]) * 1000:.0f} ms "
              f"(target < {TARGET * 1000:.0f} ms)")
    return 1 if args.strict and not ok_all else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except sc.BenchError as exc:
        print(f"benchmark error: {exc}", file=sys.stderr)
        sys.exit(2)
