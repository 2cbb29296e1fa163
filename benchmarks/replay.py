#!/usr/bin/env python3
"""Replay a repository's merged history as agent branches and count what guard says.

For each commit C of the first-parent history of the default branch (the last N, or a given
range), the branch is base = C's first parent, head = C — for a merge commit, head is the
merge and the range holds every commit it brought in — and guard runs on it without a
checkout, through its own revision arguments:

    guard check --base C^1 --head C --only CHECKS --role ROLE --format json

The repository may be a bare mirror (the `fetch` tool's /work/.mirror/owner+name/repo): it is
cloned once, without a checkout and sharing the mirror's objects (`git clone --shared
--no-checkout`), into a scratch folder. A configuration file (--config) is placed in that
clone's work tree as company.config.yaml and read with `--policy worktree`, so the project's
history is replayed unchanged; without one, each commit's base is read as guard reads it
(public projects have no company.config.yaml: guard's defaults). The role is a built-in one
(backend) unless --role says otherwise; the migrations and commits checks do not depend on
it.

`--one-range` runs guard once over the whole range instead (for the commits check: every
commit is judged on its own message anyway) and attributes each finding to the commit its
report names.

Printed: per rule, its severity, how many findings it raised and on how many commits (with
up to --examples examples each); the commits that fail (an error finding), the runs guard
could not finish (exit 2), and the time per run (median, total, slowest).

    python benchmarks/replay.py REPO [-n N | --range A..B] [--only CHECKS] [--config FILE]
        [--role NAME] [--one-range] [--jobs J] [--json] [--save FILE] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout


def has_work_tree(repo: str) -> bool:
    proc = subprocess.run(["git", "-C", repo, "rev-parse", "--is-inside-work-tree"],
                          capture_output=True, text=True)
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def scratch_clone(repo: str, workdir: str) -> str:
    """A clone of ``repo`` without a checkout, sharing its objects (no copy); reused when
    ``workdir`` already holds one of the same repository."""
    name = os.path.basename(os.path.normpath(repo))
    if name in ("repo", ".git"):
        name = os.path.basename(os.path.dirname(os.path.normpath(repo)))
    target = os.path.join(workdir, name)
    if not os.path.isdir(os.path.join(target, ".git")):
        subprocess.run(["git", "clone", "--quiet", "--shared", "--no-checkout", repo, target],
                       check=True)
    # HEAD detached at a root commit, which is never replayed (it has no parent): the clone
    # has no checkout, and a replayed head that were HEAD would have its empty work tree
    # read as uncommitted deletions (COMMIT012)
    root = git(target, "rev-list", "--max-parents=0", "origin/HEAD").split()[0]
    git(target, "update-ref", "--no-deref", "HEAD", root)
    return target


def commits_to_replay(repo: str, count: int, rev_range: str | None) -> list[tuple[str, str]]:
    """(commit, first parent), newest first; root commits (no parent) are left out."""
    args = ["rev-list", "--first-parent", "--parents"]
    args += [rev_range] if rev_range else ["-n", str(count), "origin/HEAD"]
    out = []
    for line in git(repo, *args).splitlines():
        ids = line.split()
        if len(ids) >= 2:
            out.append((ids[0], ids[1]))
    return out


def run_guard(guard: list[str], clone: str, base: str, head: str, only: str, role: str,
              worktree_policy: bool) -> dict:
    argv = [*guard, "check", "-C", clone, "--base", base, "--head", head, "--only", only,
            "--role", role, "--format", "json", "--fail-on", "never"]
    if worktree_policy:
        argv += ["--policy", "worktree"]
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    took = time.perf_counter() - started
    result = {"commit": head, "base": base, "seconds": round(took, 4), "exit": proc.returncode}
    if proc.returncode == 0:
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            result["exit"], result["error"] = 2, "not JSON: " + proc.stdout[:200]
            return result
        result["findings"] = [{k: f.get(k) for k in ("rule", "severity", "path", "line",
                                                    "message")}
                              | ({"in": (f.get("data") or {}).get("commit")}
                                 if (f.get("data") or {}).get("commit") else {})
                              for f in report["findings"]]
        result["header"] = next((c["header"] for c in report.get("commits", [])
                                 if c["sha"] == head), None)
        result["statuses"] = {c["name"]: c["status"] for c in report["checks"]
                              if c["status"] not in ("skipped",)}
    else:
        result["error"] = (proc.stderr.strip() or proc.stdout.strip())[:400]
    return result


def split_one_range(result: dict) -> list[dict]:
    """One run over a whole range, as per-commit results (findings with no commit go to the
    range's head)."""
    by_commit: dict[str, list] = collections.defaultdict(list)
    for finding in result.get("findings", []):
        by_commit[finding.get("in") or result["commit"]].append(finding)
    return [{"commit": sha, "seconds": 0.0, "exit": 0, "findings": found}
            for sha, found in by_commit.items()]


def tabulate(results: list[dict], replayed: int, examples: int) -> dict:
    rules: dict[str, dict] = {}
    failing, warned, broken = set(), set(), []
    for result in results:
        if result["exit"] not in (0, 1):
            broken.append({"commit": result["commit"], "error": result.get("error", "")})
            continue
        for finding in result.get("findings", []):
            sha = finding.get("in") or result["commit"]
            row = rules.setdefault(finding["rule"], {
                "rule": finding["rule"], "severity": collections.Counter(), "findings": 0,
                "commits": set(), "examples": []})
            row["findings"] += 1
            row["severity"][finding["severity"]] += 1
            if sha not in row["commits"] and len(row["examples"]) < examples:
                row["examples"].append({"commit": sha[:12], "path": finding["path"],
                                        "line": finding["line"],
                                        "message": finding["message"][:240]})
            row["commits"].add(sha)
            if finding["severity"] == "error":
                failing.add(sha)
            elif finding["severity"] == "warning":
                warned.add(sha)
    times = [r["seconds"] for r in results if r["seconds"]]
    table = []
    for row in sorted(rules.values(), key=lambda r: (-len(r["commits"]), r["rule"])):
        table.append({"rule": row["rule"],
                      "severity": "/".join(f"{s}" + (f"×{n}" if len(row["severity"]) > 1
                                                     else "")
                                           for s, n in row["severity"].most_common()),
                      "findings": row["findings"], "commits": len(row["commits"]),
                      "examples": row["examples"]})
    return {"replayed": replayed, "failing": len(failing), "warned_only": len(warned - failing),
            "guard_errors": broken, "rules": table,
            "seconds": {"runs": len(times), "total": round(sum(times), 2),
                        "median": round(statistics.median(times), 3) if times else None,
                        "max": round(max(times), 3) if times else None}}


def render(summary: dict, title: str, examples: bool) -> str:
    lines = [f"## {title}", "",
             f"{summary['replayed']} commits replayed; **{summary['failing']} fail** (an error "
             f"finding), {summary['warned_only']} more have warnings only; "
             f"{len(summary['guard_errors'])} runs guard could not finish (exit 2).", ""]
    s = summary["seconds"]
    if s["runs"]:
        lines += [f"Time: {s['runs']} runs, median {s['median']} s, total {s['total']} s, "
                  f"slowest {s['max']} s.", ""]
    lines += ["| rule | severity | findings | commits |", "|---|---|---|---|"]
    lines += [f"| {r['rule']} | {r['severity']} | {r['findings']} | {r['commits']} |"
              for r in summary["rules"]]
    if not summary["rules"]:
        lines.append("| (none) | | 0 | 0 |")
    if examples:
        lines.append("")
        for r in summary["rules"]:
            for ex in r["examples"]:
                where = f"{ex['path']}:{ex['line']}" if ex["line"] else (ex["path"] or "")
                lines.append(f"- {r['rule']} {ex['commit']} {where} — {ex['message']}")
    for err in summary["guard_errors"][:5]:
        lines.append(f"- exit 2 on {err['commit'][:12]}: {err['error'][:200]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", help="repository (a work tree or a bare mirror)")
    ap.add_argument("-n", "--commits", type=int, default=150,
                    help="how many first-parent commits from HEAD (default 150)")
    ap.add_argument("--range", dest="rev_range", metavar="A..B",
                    help="replay the first-parent commits of this range instead (refs of the "
                         "repository are origin/... in the scratch clone)")
    ap.add_argument("--only", default="migrations", help="checks to run (default migrations)")
    ap.add_argument("--config", metavar="FILE",
                    help="company.config.yaml to judge every commit by (read with "
                         "--policy worktree)")
    ap.add_argument("--role", default="backend", help="role (default: built-in backend)")
    ap.add_argument("--one-range", action="store_true",
                    help="one guard run over the whole range, findings split per commit")
    ap.add_argument("--jobs", type=int, default=1, help="guard runs at once (default 1)")
    ap.add_argument("--examples", type=int, default=3, help="examples per rule (default 3)")
    ap.add_argument("--json", action="store_true", help="print the table as JSON")
    ap.add_argument("--save", metavar="FILE", help="write every run's result (JSON lines)")
    ap.add_argument("--workdir", metavar="DIR",
                    help="where the scratch clone lives (default: a temporary folder, removed)")
    ap.add_argument("--guard", default=None,
                    help="guard command (default: this interpreter's `-m guard`)")
    ap.add_argument("--title", default=None)
    args = ap.parse_args(argv)

    guard = args.guard.split() if args.guard else [sys.executable, "-m", "guard"]
    workdir = args.workdir or tempfile.mkdtemp(prefix="guard-replay-")
    os.makedirs(workdir, exist_ok=True)
    try:
        clone = scratch_clone(os.path.abspath(args.repo), workdir)
        if args.config:
            shutil.copyfile(args.config, os.path.join(clone, "company.config.yaml"))
        elif os.path.exists(os.path.join(clone, "company.config.yaml")):
            os.remove(os.path.join(clone, "company.config.yaml"))
        pairs = commits_to_replay(clone, args.commits, args.rev_range)
        if not pairs:
            print("no commit to replay", file=sys.stderr)
            return 2
        if args.one_range:
            head, base = pairs[0][0], pairs[-1][1]
            whole = run_guard(guard, clone, base, head, args.only, args.role,
                              bool(args.config))
            results = [whole] if whole["exit"] not in (0, 1) else split_one_range(whole)
            results.append({"commit": "", "seconds": whole["seconds"], "exit": 0,
                            "findings": []})
        else:
            with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
                results = list(pool.map(
                    lambda pair: run_guard(guard, clone, pair[1], pair[0], args.only,
                                           args.role, bool(args.config)), pairs))
        if args.save:
            with open(args.save, "w", encoding="utf-8") as fh:
                for result in results:
                    fh.write(json.dumps(result) + "\n")
        replayed = len(pairs)
        if args.one_range:      # every commit of the range, merged branches' included
            replayed = int(git(clone, "rev-list", "--count",
                               f"{pairs[-1][1]}..{pairs[0][0]}").strip())
        summary = tabulate(results, replayed, args.examples)
        summary["repo"] = os.path.abspath(args.repo)
        summary["head"] = pairs[0][0]
        summary["only"] = args.only
        if args.json:
            print(json.dumps(summary, indent=1))
        else:
            title = args.title or f"{os.path.basename(clone)} — --only {args.only}, " \
                                  f"{len(pairs)} commits to {pairs[0][0][:12]}"
            print(render(summary, title, args.examples > 0), end="")
        return 0
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
