#!/usr/bin/env python3
"""migrations-check benchmark: guard vs squawk on 2,000 generated PostgreSQL migrations.

Prints, in one run:
  (a) the hand-off case: a base with 2,000 SQL migrations (golang-migrate, up + down files)
      and a branch adding 5 — wall time of `guard check --only migrations` (target < 0.5 s);
  (b) a full static lint of all 2,000 migrations: guard (a branch that adds all of them, so
      every one is parsed, up and down files: 4,000) and squawk (`squawk-cli`) on the same
      4,000 files — wall times and the ratio (target: guard within 2x of squawk); and, for
      a stricter comparison, squawk on the 2,000 .up.sql files alone. Runs alternate;
  (c) how many of squawk's findings on the .up.sql files guard also raises, rule family by
      rule family (same file and same statement line);
  (d) the real-project size: guard vs squawk on 100 PostgreSQL migrations (a full lint of
      a branch that adds them; squawk on the same files);
  (e) a branch that adds nothing (one README edit) on a synthetic Django project with 1,400
      migrations in 40 apps: `guard check --only migrations` against the start-up floor
      `python -c pass`.

    python benchmarks/migrations.py [--count 2000] [--repeat 3] [--keep]

Run it with the interpreter guard is installed in; squawk is looked up next to it, then in
$SQUAWK, then on PATH (pip install squawk-cli, e.g. into a throwaway venv). Without squawk, (b) and (c) say so and the rest still runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

CONFIG = "guard:\n  role: backend\n  migrations:\n    dialect: postgres\n"
FOLDER = "db/migrations"

# squawk rule -> guard rule (same family). squawk rules not listed have no guard counterpart.
FAMILIES = {
    "ban-drop-table": "MIG101", "ban-drop-column": "MIG102", "ban-drop-database": "MIG103",
    "renaming-table": "MIG107", "renaming-column": "MIG108", "changing-column-type": "MIG109",
    "adding-required-field": "MIG110", "adding-not-nullable-field": "MIG110",
    "disallowed-unique-constraint": "MIG111", "require-concurrent-index-creation": "MIG112",
    "adding-foreign-key-constraint": "MIG113",
}


def env() -> dict:
    out = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    out.update({"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
                "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C",
                "GIT_AUTHOR_DATE": "1764115200 +0000",
                "GIT_COMMITTER_DATE": "1764115200 +0000"})
    # an installed guard has its bytecode cached; without it every run compiles its modules
    for var in ("GITHUB_ACTIONS", "GITLAB_CI", "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF",
                "PYTHONDONTWRITEBYTECODE"):
        out.pop(var, None)
    return out


ENV = env()


def git(repo: str, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True)


def migration(rng: random.Random, i: int, tables: list[str]) -> tuple[str, str]:
    """(up, down) for migration number i; one statement per line."""
    t = rng.choice(tables) if tables else None
    kind = rng.choices(
        ["create", "create_fk", "add_col", "add_col_nn", "index", "index_conc", "drop_col",
         "drop_table", "rename_col", "type", "unique", "update", "fk"],
        [30, 8, 20, 3, 8, 4, 3, 2, 2, 2, 2, 2, 2])[0]
    if not tables or kind in ("create", "create_fk"):
        name = f"t{i}"
        tables.append(name)
        fk = f", parent_id bigint REFERENCES {t}(id)" if kind == "create_fk" and t else ""
        up = (f"CREATE TABLE {name} (id bigint PRIMARY KEY, name text NOT NULL, "
              f"created_at timestamptz DEFAULT now(){fk});\n")
        if fk and rng.random() < 0.5:
            up += f"CREATE INDEX {name}_parent ON {name} (parent_id);\n"
        return up, f"DROP TABLE {name};\n"
    col = f"c{i}"
    if kind == "add_col":
        return (f"ALTER TABLE {t} ADD COLUMN {col} text;\n",
                f"ALTER TABLE {t} DROP COLUMN {col};\n")
    if kind == "add_col_nn":
        return (f"ALTER TABLE {t} ADD COLUMN {col} integer NOT NULL;\n",
                f"ALTER TABLE {t} DROP COLUMN {col};\n")
    if kind in ("index", "index_conc"):
        conc = " CONCURRENTLY" if kind == "index_conc" else ""
        return (f"CREATE INDEX{conc} {t}_i{i} ON {t} (name);\n", f"DROP INDEX {t}_i{i};\n")
    if kind == "drop_col":
        return (f"ALTER TABLE {t} DROP COLUMN name;\n",
                f"ALTER TABLE {t} ADD COLUMN name text;\n")
    if kind == "drop_table":
        tables.remove(t)
        return f"DROP TABLE {t};\n", f"CREATE TABLE {t} (id bigint PRIMARY KEY);\n"
    if kind == "rename_col":
        return (f"ALTER TABLE {t} RENAME COLUMN name TO title_{i};\n",
                f"ALTER TABLE {t} RENAME COLUMN title_{i} TO name;\n")
    if kind == "type":
        return (f"ALTER TABLE {t} ALTER COLUMN name TYPE varchar(200);\n",
                f"ALTER TABLE {t} ALTER COLUMN name TYPE text;\n")
    if kind == "unique":
        return (f"ALTER TABLE {t} ADD CONSTRAINT {t}_u{i} UNIQUE (name);\n",
                f"ALTER TABLE {t} DROP CONSTRAINT {t}_u{i};\n")
    if kind == "update":
        return f"UPDATE {t} SET name = 'x';\n", "SELECT 1;\n"
    other = rng.choice(tables)
    return (f"ALTER TABLE {t} ADD COLUMN ref_{i} bigint;\n"
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_fk{i} FOREIGN KEY (ref_{i}) "
            f"REFERENCES {other} (id);\n",
            f"ALTER TABLE {t} DROP COLUMN ref_{i};\n")


def generate(count: int, seed: int = 7) -> dict[str, str]:
    rng = random.Random(seed)
    tables: list[str] = []
    files = {}
    for i in range(1, count + 1):
        up, down = migration(rng, i, tables)
        files[f"{FOLDER}/{i:06d}_m{i}.up.sql"] = up
        files[f"{FOLDER}/{i:06d}_m{i}.down.sql"] = down
    return files


def write(repo: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = os.path.join(repo, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def build(root: str, base: dict[str, str], branch: dict[str, str]) -> str:
    repo = os.path.join(root, "repo")
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "gc.auto", "0")
    write(repo, {"company.config.yaml": CONFIG, **base})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "chore: base")
    git(repo, "checkout", "-q", "-b", "agent/backend/bench")
    write(repo, branch)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feat(db): migrations")
    return repo


def guard_cmd() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "guard")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "guard"]


CPU: dict[int, list[float]] = {}


def run_once(cmd: list[str], cwd: str) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall time, CPU time: user + sys of the process and its children, the process)."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, proc


def timed(cmd: list[str], cwd: str, repeat: int) -> tuple[list[float], subprocess.CompletedProcess]:
    """Wall times of ``repeat`` runs; the CPU time (user + sys) of each is kept in CPU, keyed
    by id of the returned list: on a shared, loaded machine it is the steadier figure."""
    return timed_alternately([cmd], cwd, repeat)[0]


def timed_alternately(cmds: list[list[str]], cwd: str, repeat: int):
    """timed() of several commands whose runs alternate (A B, B A, A B, ...), so that each
    sees the same moments of a shared machine whose speed drifts: [(times, last process)]."""
    times: list[list[float]] = [[] for _ in cmds]
    cpu: list[list[float]] = [[] for _ in cmds]
    procs: list = [None] * len(cmds)
    for i in range(repeat):
        for k in (range(len(cmds)) if i % 2 == 0 else reversed(range(len(cmds)))):
            wall, used, procs[k] = run_once(cmds[k], cwd)
            times[k].append(wall)
            cpu[k].append(used)
    for k in range(len(cmds)):
        CPU[id(times[k])] = cpu[k]
    return list(zip(times, procs))


def squawk_exe() -> str | None:
    near = os.path.join(os.path.dirname(sys.executable), "squawk")
    if os.path.exists(near):
        return near
    given = os.environ.get("SQUAWK")
    return given if given and os.path.exists(given) else shutil.which("squawk")


def fmt(times: list[float]) -> str:
    cpu = CPU.get(id(times))
    extra = f", CPU {statistics.median(cpu):.3f} s" if cpu else ""
    return (f"wall median {statistics.median(times):.3f} s (min {min(times):.3f}, "
            f"n={len(times)}{extra})")


def sqlglot_build() -> str:
    proc = subprocess.run([sys.executable, "-c", "import sqlglot, sqlglot.parser as p; "
                           "print(sqlglot.__version__, p.__file__.endswith('.py'))"],
                          capture_output=True, text=True)
    version, pure = (proc.stdout.split() + ["?", "?"])[:2]
    return f"sqlglot {version} ({'pure Python' if pure == 'True' else 'compiled: sqlglotc'})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--only-de", action="store_true",
                    help="run only (d) 100 files vs squawk and (e) the no-op Django branch")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="guard-bench-migrations-")
    try:
        import guard
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
              f"{platform.system()} {platform.release()}, Python {platform.python_version()}")
        print(f"guard {guard.__version__} from {os.path.dirname(guard.__file__)}; "
              f"{sqlglot_build()}; load average {os.getloadavg()[0]:.2f}")
        files = generate(args.count)
        ups = sorted(p for p in files if p.endswith(".up.sql"))
        cmd = guard_cmd() + ["check", "--base", "main", "--only", "migrations",
                             "--format", "json", "--fail-on", "never"]

        if args.only_de:
            small_and_noop(root, cmd, args.repeat)
            return 0
        # (a) the hand-off case
        extra = generate(args.count + 5)
        new = {p: t for p, t in extra.items() if p not in files}
        repo_a = build(os.path.join(root, "a"), files, new)
        times_a, proc = timed(cmd, repo_a, args.repeat)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 2
        data = json.loads(proc.stdout)
        print(f"\n(a) base with {args.count} migrations, branch adds {len(new) // 2}: "
              f"`guard check --only migrations` {fmt(times_a)}; "
              f"{len(data['findings'])} findings; target < 0.5 s: "
              f"{'met' if statistics.median(times_a) < 0.5 else 'MISSED'}")

        # (b) full static lint of every migration; guard's and squawk's runs alternate
        repo_b = build(os.path.join(root, "b"), {}, files)
        squawk = squawk_exe()
        every = sorted(files)                       # the files guard reads: up and down
        squawk_cmds = [[squawk, "--reporter", "json", *every],
                       [squawk, "--reporter", "json", *ups]] if squawk else []
        runs = timed_alternately([cmd] + squawk_cmds, repo_b, args.repeat)
        times_g, proc = runs[0]
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 2
        guard_findings = json.loads(proc.stdout)["findings"]
        print(f"\n(b) full lint of {args.count} migrations ({len(files)} files)")
        print(f"    guard  {fmt(times_g)}; {len(guard_findings)} findings")
        if squawk is None:
            print("    squawk NOT INSTALLED: `pip install squawk-cli` into this interpreter's "
                  "environment to compare; (b) ratio and (c) skipped")
            small_and_noop(root, cmd, args.repeat)
            return 0
        version = subprocess.run([squawk, "--version"], capture_output=True, text=True).stdout
        (times_all, _), (times_s, sproc) = runs[1], runs[2]
        try:
            squawk_findings = json.loads(sproc.stdout or "[]")
        except json.JSONDecodeError:
            print(f"    squawk output is not JSON: {sproc.stderr[:300]}")
            return 2
        print(f"    squawk {fmt(times_all)}; on the same {len(every)} files guard reads "
              f"({version.strip()})")
        print(f"    squawk {fmt(times_s)}; {len(squawk_findings)} findings, on the "
              f"{len(ups)} .up.sql files alone")

        def ratios(other: list[float]) -> str:
            wall = statistics.median(times_g) / statistics.median(other)
            cpu = statistics.median(CPU[id(times_g)]) / statistics.median(CPU[id(other)])
            return f"{wall:.2f}x (CPU {cpu:.2f}x)"
        ratio = statistics.median(times_g) / statistics.median(times_all)
        print(f"    ratio guard/squawk, same files: {ratios(times_all)}; target within 2x: "
              f"{'met' if ratio <= 2 else 'MISSED'}")
        print(f"    ratio guard/squawk on the .up.sql files alone (guard still reads both): "
              f"{ratios(times_s)}")

        # (c) overlap per family
        raised = defaultdict(set)
        for f in guard_findings:
            raised[f["rule"]].add((f["path"], f["line"]))
        by_rule = Counter(f["rule_name"] for f in squawk_findings)
        also = Counter()
        for f in squawk_findings:
            rule = FAMILIES.get(f["rule_name"])
            if rule and (f["file"], f["line"] + 1) in raised[rule]:
                also[f["rule_name"]] += 1
        print("\n(c) squawk findings (.up.sql files) guard also raises (same file and "
              "statement line):")
        print(f"    {'squawk rule':38} {'guard rule':10} {'squawk':>7} {'guard too':>9}")
        total = total_also = mapped = mapped_also = 0
        for name, n in sorted(by_rule.items(), key=lambda kv: (kv[0] not in FAMILIES, kv[0])):
            rule = FAMILIES.get(name, "—")
            total += n
            total_also += also[name]
            if name in FAMILIES:
                mapped += n
                mapped_also += also[name]
            print(f"    {name:38} {rule:10} {n:7d} {also[name]:9d}")
        print(f"    families guard covers: {mapped_also}/{mapped} "
              f"({100 * mapped_also / max(mapped, 1):.0f} %); all squawk findings: "
              f"{total_also}/{total}")
        small_and_noop(root, cmd, args.repeat)
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (wall times on a loaded "
              "machine include waiting for a CPU; CPU times do not)")
        return 0
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def django_tree(apps: int = 40, per_app: int = 35) -> dict[str, str]:
    """A Django project's migrations: ``apps`` apps of ``per_app`` linear migrations, the
    first of each app depending on the previous app's (1,400 by default)."""
    files = {}
    for a in range(apps):
        app = f"app{a:02d}"
        files[f"{app}/__init__.py"] = ""
        files[f"{app}/migrations/__init__.py"] = ""
        files[f"{app}/models.py"] = "from django.db import models\n"
        for i in range(1, per_app + 1):
            deps = [(app, f"{i - 1:04d}_step")] if i > 1 else (
                [(f"app{a - 1:02d}", f"{per_app:04d}_step")] if a else [])
            op = (f"migrations.CreateModel(name='M{a}', fields=[('id', models.AutoField("
                  "primary_key=True))])" if i == 1 else
                  f"migrations.AddField(model_name='m{a}', name='f{i}', "
                  "field=models.IntegerField(null=True))")
            files[f"{app}/migrations/{i:04d}_step.py"] = (
                "from django.db import migrations, models\n\n\n"
                "class Migration(migrations.Migration):\n"
                f"    dependencies = {deps!r}\n"
                f"    operations = [\n        {op},\n    ]\n")
    return files


def small_and_noop(root: str, cmd: list[str], repeat: int) -> None:
    files = generate(50)          # 50 migrations = 100 files (.up.sql and .down.sql)
    every = sorted(files)
    repo_d = build(os.path.join(root, "d"), {}, files)
    squawk = squawk_exe()
    cmds = [cmd] + ([[squawk, "--reporter", "json", *every]] if squawk else [])
    runs = timed_alternately(cmds, repo_d, max(repeat, 5))
    (times_g, _), *rest = runs
    print(f"\n(d) full lint of {len(every)} PostgreSQL migration files: guard {fmt(times_g)}")
    if not rest:
        print("    squawk row skipped: squawk NOT INSTALLED (pip install squawk-cli into a "
              "venv, then SQUAWK=/path/to/squawk)")
    else:
        times_s = rest[0][0]
        ratio = statistics.median(times_g) / statistics.median(times_s)
        print(f"    squawk {fmt(times_s)} on the same files; ratio {ratio:.2f}x; target "
              f"within 2x: {'met' if ratio <= 2 else 'MISSED'}")
    tree = django_tree()
    repo_e = build(os.path.join(root, "e"), tree, {"README.md": "# edited\n"})
    count = sum(1 for p in tree if "/migrations/0" in p)
    floor = [sys.executable, "-c", "pass"]
    (times_n, proc), (times_f, _) = timed_alternately([cmd, floor], repo_e, max(repeat, 5))
    if proc.returncode != 0:
        print(proc.stderr[:500], file=sys.stderr)
    print(f"\n(e) Django, {count} migrations, branch adds nothing: `guard check --only "
          f"migrations` {fmt(times_n)}; floor `python -c pass` {fmt(times_f)}; "
          f"above the floor: {statistics.median(times_n) - statistics.median(times_f):.3f} s")


if __name__ == "__main__":
    sys.exit(main())
