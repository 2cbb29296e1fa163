#!/usr/bin/env python3
"""guard's commits check against commitlint (config-conventional), commit by commit.

On a range of a repository (by default the whole first-parent history of its default
branch: every commit from the root's child to the tip, merged branches included), runs

    guard check --only commits (one run over the range; --config, e.g. the
                                config-conventional preset)
    commitlint's lint() with @commitlint/config-conventional (benchmarks/replay_commitlint.mjs)

and prints how many commits each fails (an error: guard's exit-1 findings, commitlint's
level-2 rules), then every kind of disagreement: the guard rules a commit commitlint accepts
fails, and the commitlint rules a commit guard accepts fails, with examples.

commitlint is not a dependency: install it in a scratch folder and name it with --commitlint,

    (cd /tmp/cl && npm i @commitlint/cli @commitlint/config-conventional)
    python benchmarks/replay_commitlint.py REPO --commitlint /tmp/cl --config FILE
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo")
    ap.add_argument("--commitlint", required=True, metavar="DIR",
                    help="folder where @commitlint/cli and config-conventional are installed")
    ap.add_argument("--config", required=True, metavar="FILE",
                    help="company.config.yaml guard judges by")
    ap.add_argument("--range", dest="rev_range", metavar="A..B")
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    workdir = args.workdir or tempfile.mkdtemp(prefix="guard-replay-")
    clone = replay.scratch_clone(os.path.abspath(args.repo), workdir)
    import shutil
    shutil.copyfile(args.config, os.path.join(clone, "company.config.yaml"))
    if args.rev_range:
        base, _, head = args.rev_range.partition("..")
    else:
        head = replay.git(clone, "rev-parse", "origin/HEAD").strip()
        base = replay.git(clone, "rev-list", "--first-parent", "--max-parents=0",
                          head).split()[0]
    rev_range = f"{base}..{head}"
    guard = [sys.executable, "-m", "guard"]
    whole = replay.run_guard(guard, clone, base, head, "commits", "backend", True)
    if whole["exit"] != 0:
        print(f"guard could not run: {whole.get('error')}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    proc = subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                "replay_commitlint.mjs"), clone, rev_range],
                          cwd=args.commitlint, capture_output=True, text=True, check=True)
    cl_seconds = time.perf_counter() - started
    cl = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        cl[row["sha"]] = row
    headers = dict(line.split("\0", 1) for line in replay.git(
        clone, "log", "--format=%H%x00%s", rev_range).splitlines())
    g_errors: dict[str, set] = collections.defaultdict(set)
    for f in whole["findings"]:
        if f["severity"] == "error" and f.get("in"):
            g_errors[f["in"]].add(f["rule"])
    only_guard: dict[str, list] = collections.defaultdict(list)
    only_cl: dict[str, list] = collections.defaultdict(list)
    both = 0
    for sha, row in cl.items():
        g_fail, c_fail = bool(g_errors.get(sha)), bool(row["errors"])
        if g_fail and c_fail:
            both += 1
        elif g_fail:
            only_guard[" + ".join(sorted(g_errors[sha]))].append(sha)
        elif c_fail:
            only_cl[" + ".join(sorted(set(row["errors"])))].append(sha)
    summary = {
        "range": rev_range, "commits": len(cl),
        "guard_fails": sum(1 for sha in cl if g_errors.get(sha)),
        "commitlint_fails": sum(1 for r in cl.values() if r["errors"]),
        "commitlint_ignored": sum(1 for r in cl.values() if r["ignored"]),
        "both_fail": both,
        "seconds": {"guard": whole["seconds"], "commitlint": round(cl_seconds, 2)},
        "only_guard": {k: {"commits": len(v), "examples": [
            f"{s[:10]} {headers.get(s, '')[:110]}" for s in v[:args.examples]]}
            for k, v in sorted(only_guard.items(), key=lambda kv: -len(kv[1]))},
        "only_commitlint": {k: {"commits": len(v), "examples": [
            f"{s[:10]} {headers.get(s, '')[:110]}" for s in v[:args.examples]]}
            for k, v in sorted(only_cl.items(), key=lambda kv: -len(kv[1]))},
    }
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(f"{summary['commits']} commits ({rev_range[:21]}...): guard fails "
          f"{summary['guard_fails']}, commitlint fails {summary['commitlint_fails']} "
          f"(and ignores {summary['commitlint_ignored']}), both {both}; guard "
          f"{summary['seconds']['guard']} s, commitlint {summary['seconds']['commitlint']} s")
    for title, groups in (("guard only", summary["only_guard"]),
                          ("commitlint only", summary["only_commitlint"])):
        print(f"\n| {title}: rules | commits | examples |\n|---|---|---|")
        for key, value in groups.items():
            ex = "<br>".join(f"`{e}`" for e in value["examples"]).replace("|", "\\|")
            print(f"| {key} | {value['commits']} | {ex} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
