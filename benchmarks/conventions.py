#!/usr/bin/env python3
"""Conventions-check benchmark: the scope benchmark's synthetic repository, with code in it.

Reuses benchmarks/scope.py's plan (100,000 files, a 20,000-file change: modified, added,
deleted, renamed) and its git helpers, but every Python and TypeScript file holds real code
(dataclasses, routes, regexes, template literals, ports and env reads inside strings and
comments), and a fixed share of the changed server files plants what the conventions rules
look for: hard-coded ports, undocumented env vars, jobs without idempotency keys, secrets.
Then it times `guard check --only scope` and `guard check --only conventions` on the same
repository and prints them side by side; the target is conventions within 2x of scope.
Every run must report exactly the planted findings.

    python benchmarks/conventions.py [--files N] [--changed N] [--repeat N] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scope as sb  # noqa: E402  (the scope benchmark: plan, git helpers, machine details)

SERVER = ("src/server/", "src/api/", "src/services/", "src/models/", "src/jobs/")
JOBS = ("src/jobs/",)
TS_FOLDERS = ("src/services/", "src/server/")   # half of their files become TypeScript
DOCUMENTED = ("DATABASE_URL", "REDIS_URL", "API_PORT", "SENTRY_DSN")
UNDOCUMENTED = ("STRIPE_KEY", "MAILER_URL", "SEARCH_URL", "FEATURE_FLAGS", "CDN_HOST")
ENV_EXAMPLE = "".join(f"{v}={8000 if v == 'API_PORT' else 'x'}  # documented for the benchmark\n"
                      for v in DOCUMENTED).encode()
FAKE_STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def h(path: str) -> int:
    return zlib.crc32(path.encode())


def to_ts(path: str) -> str:
    if path.startswith(TS_FOLDERS) and path.endswith(".py") and h(path) % 2 == 0:
        return path[:-3] + ".ts"
    return path


def _renamed(new: str, old: str) -> str:
    """A renamed file keeps its content, so it keeps its language too."""
    return new[:-3] + ".ts" if old.endswith(".ts") and new.endswith(".py") else new


def plant(path: str) -> str | None:
    """What a changed server file carries (decided by its path alone)."""
    if not path.startswith(SERVER) or not path.endswith((".py", ".ts")):
        return None
    if path.startswith(JOBS) and path.endswith(".py"):
        return "job"
    k = h(path) % 40
    if k == 0:
        return "port"
    if k == 1:
        return "secret"
    if k < 8:
        return "env:" + (DOCUMENTED + UNDOCUMENTED)[k % 9]
    return None


PY = '''"""{path}"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    id: str
    total: int


def list_items(items, limit=50):
    # uvicorn.run(app, port=8000) is not how this service starts
    note = "listening on port 8000, os.environ['NOT_READ'] in a string"
    ratio = [i.total / 2 for i in items]
    return [i for i in items if i.total // 2 > 0][:limit], note, ratio


VERSION = "{version}"
'''
TS = '''// {path}
import {{ Router }} from 'express';
// app.listen(3000) is not how this service starts
const router = Router();
export interface Item {{ id: string; total: number }}
const pattern = /\\/(\\d+)\\/listen\\(3000\\)/g;
export function listItems(items: Item[], limit = 50): Item[] {{
  const note = `listen(${{limit}}) on process.env.NOT_READ`;
  return items.filter((i) => i.total / 2 > 0 && pattern.test(note)).slice(0, limit);
}}
router.get('/items', (_req, res) => res.json(listItems([], 10)));
export const VERSION = '{version}';
export default router;
'''
JOB = '''"""{path}"""
from .celery_app import app


@app.task(bind=True, max_retries=5, retry_backoff=True, on_failure=lambda *a: None)
def process(self, record_id):
    version = "{version}"
    return record_id, version
'''
PLANTS = {
    (".py", "port"): 'import uvicorn\n\n\ndef serve():\n    uvicorn.run("app:app", port=8000)\n',
    (".ts", "port"): "import express from 'express';\nexpress().listen(3000);\n",
    (".py", "secret"): f'STRIPE = "{FAKE_STRIPE}"\n',
    (".ts", "secret"): f"export const STRIPE = '{FAKE_STRIPE}';\n",
    (".py", "env"): 'import os\n\nSETTING = os.environ.get("{var}", "")\n',
    (".ts", "env"): "export const SETTING = process.env.{var};\n",
}


def content(path: str, version: str) -> bytes:
    ext = path[-3:]
    what = plant(path) if version == "v2" else None
    if what == "job":
        return _unique(JOB.format(path=path, version=version), path).encode()
    if ext == ".py":
        text = PY.format(path=path, version=version)
    elif ext in (".ts", "tsx"):
        text = TS.format(path=path, version=version)
    else:
        text = f"# {path}\n# {version} {path}\n"
    if what:
        kind, _, var = what.partition(":")
        text += "\n" + PLANTS[(ext, kind)].format(var=var)
    return _unique(text, path).encode()


def _unique(text: str, path: str) -> str:
    """A trailing comment naming the file on every line: like real code, no two files are
    similar, so git's inexact rename detection never pairs an addition with a deletion."""
    if path.endswith(".py"):
        mark = "  # " + path
    elif path.endswith((".ts", ".tsx")):
        mark = "  // " + path
    else:
        return text
    return "".join(line + mark + "\n" if line.strip() else "\n"
                   for line in text.splitlines())


def expected(changes) -> dict[str, int]:
    """Planted findings: changed lines only, so modified and added files (renames keep
    their content and add nothing)."""
    out = {"CONV001": 0, "CONV004": 0, "CONV006": 0, "CONV009": 0}
    undocumented = set()
    for kind, path, _old in changes:
        if kind not in "MA":
            continue
        what = plant(path) or ""
        if what == "port":
            out["CONV001"] += 1
        elif what == "secret":
            out["CONV009"] += 1
        elif what == "job":
            out["CONV006"] += 1
        elif what.startswith("env:") and what[4:] in UNDOCUMENTED:
            undocumented.add(what[4:])
    out["CONV004"] = len(undocumented)     # one finding per variable
    return {k: v for k, v in out.items() if v}


def stream(base, changes) -> bytes:
    """The scope benchmark's repository plan, with real code in the blobs and the files the
    conventions rules read (.env.example, the Celery app) on main."""
    app = b"from celery import Celery\n\napp = Celery('bench')\n"
    return sb.fast_import_stream(base, changes, content=content,
                                 base_files={".env.example": ENV_EXAMPLE,
                                             "src/jobs/celery_app.py": app})


def build(repo: str, base, changes) -> float:
    start = time.perf_counter()
    os.makedirs(repo)
    sb.run(["git", "init", "-q", "-b", "main"], repo)
    sb.run(["git", "config", "gc.auto", "0"], repo)
    sb.run(["git", "fast-import", "--quiet"], repo, input=stream(base, changes))
    sb.run(["git", "symbolic-ref", "HEAD", f"refs/heads/{sb.BRANCH}"], repo)
    sb.run(["git", "read-tree", "--reset", "-u", "HEAD"], repo)
    return time.perf_counter() - start


def expect_rules(want: dict[str, int], changed: int):
    def verify(proc):
        if proc.returncode not in (0, 1):
            raise sb.BenchError(f"guard exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
        data = json.loads(proc.stdout)
        counts: dict[str, int] = {}
        for f in data["findings"]:
            counts[f["rule"]] = counts.get(f["rule"], 0) + 1
        if counts != want or data["summary"]["changed_paths"] != changed:
            raise sb.BenchError(f"conventions reported {counts} on "
                                f"{data['summary']['changed_paths']} paths, planted {want} "
                                f"on {changed}")
    return verify


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--changed", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    ap.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = ap.parse_args()
    if args.changed > args.files or args.repeat < 1:
        ap.error("need --changed <= --files and --repeat >= 1")
    for key, value in sb.machine():
        print(f"{key:<9} {value}")
    workdir = tempfile.mkdtemp(prefix="guard-bench-conv-")
    repo = os.path.join(workdir, "repo")
    try:
        return bench(args, repo)
    finally:
        if args.keep:
            print(f"\nrepository kept at {repo}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def bench(args, repo: str) -> int:
    base, changes = sb.plan(args.files, args.changed)
    base = [to_ts(p) for p in base]
    changes = [(k, _renamed(p, to_ts(o)) if o else to_ts(p), to_ts(o) if o else None)
               for k, p, o in changes]
    scope_want = sb.expected_findings(changes)
    conv_want = expected(changes)
    built = build(repo, base, changes)
    code_files = sum(1 for k, p, _ in changes if k in "MA" and p.endswith((".py", ".ts", "tsx")))
    print(f"repo      {args.files} files, {len(changes)} changed ({code_files} changed files "
          f"hold Python/TypeScript code); built in {built:.1f} s")
    print(f"planted   {conv_want}")
    guard, r = sb.guard_cmd(), args.repeat
    common = ["--base", "main", "--format", "json"]
    t, cpu = {}, {}
    scope_cmd = guard + ["check", "--only", "scope"] + common
    conv_cmd = guard + ["check", "--only", "conventions"] + common
    scope_ok = sb.expect_json(1, scope_want["error"], scope_want["warning"], len(changes))
    conv_ok = expect_rules(conv_want, len(changes))
    for _ in range(r):      # interleaved, so a burst of other work hits both alike
        for name, cmd, verify in (("scope", scope_cmd, scope_ok),
                                  ("conventions", conv_cmd, conv_ok)):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t.setdefault(name, []).extend(sb.timed(cmd, repo, 1, verify, capture_output=True))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.setdefault(name, []).append(after.ru_utime - before.ru_utime
                                            + after.ru_stime - before.ru_stime)
    t["python -c pass"] = sb.timed([sys.executable, "-c", "pass"], repo, r)
    med = {k: statistics.median(v) for k, v in t.items()}
    mcpu = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"\n{'measurement (' + str(r) + ' runs)':<52}{'median':>9}{'min':>9}{'cpu':>9}")
    for name, label in (("scope", "guard check --only scope (json)"),
                        ("conventions", "guard check --only conventions (json)"),
                        ("python -c pass", "python -c pass (interpreter start-up)")):
        extra = f"{mcpu[name]:>8.3f}s" if name in mcpu else ""
        print(f"{label:<52}{med[name]:>8.3f}s{min(t[name]):>8.3f}s{extra}")
    ratio = med["conventions"] / med["scope"]
    print(f"{'conventions / scope (wall, median)':<52}{ratio:>8.2f}x")
    print(f"{'conventions / scope (wall, min)':<52}"
          f"{min(t['conventions']) / min(t['scope']):>8.2f}x")
    print(f"{'conventions / scope (cpu incl. git, median)':<52}"
          f"{mcpu['conventions'] / mcpu['scope']:>8.2f}x")
    ok = ratio <= 2.0
    print(f"\n{'PASS' if ok else 'FAIL'}  conventions within 2x of scope ({ratio:.2f}x)")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except sb.BenchError as exc:
        print(f"benchmark error: {exc}", file=sys.stderr)
        sys.exit(2)
