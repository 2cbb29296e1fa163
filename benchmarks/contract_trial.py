"""The contract check against `schemathesis run` on public applications nobody here wrote, one
per framework, each with its own generated OpenAPI file as the contract (issue 19 point 7,
issue 17 point 3).

    python benchmarks/contract_trial.py --venv /tmp/guard-trial/venv
    python benchmarks/contract_trial.py --apps flask --repeat 1 --keep

Run it with the trial virtualenv's python (guard installed from this checkout with
`.[contract]`, plus each app's requirements, uvicorn and gunicorn). The apps come from the
bare mirrors the `fetch` tool makes under /work/.mirror/ (github:owner/name), at pinned
commits. The FastAPI template needs PostgreSQL: `bash .ci/postgres.sh` prints the URL to pass
with --postgres (the script makes its own database in it).

For each app a repository is built: the app's files at the pinned commit, the OpenAPI file
the app's own generator writes (committed as the contract), and a company.config.yaml with
`guard.contract.path` only (plus `url:` for the server variant); then a branch with one
unrelated commit. In alternating rounds it times, as processes from start to exit (wall, and
CPU of the process and its children):

  a. `guard check --only contract --format json` with the app in guard's process;
  b. the same against a running server (`url:`);
  c. `schemathesis run` against that server with guard's default checks, phases, seed and
     example budget (--continue-on-failure, as guard runs every example), in a fresh folder
     per run, as benchmarks/contract.py does.
  d. with --alone: one in-process run without the base's, guard's own helper `conform` on
     the branch's tree (what guard runs for the base, here on the branch): the floor of (a)
     without the second run.

Agreement is per (check, operation): a pair fails for guard when a CONTRACT007 finding (or an
inherited failure in CONTRACT009's data) names the operation and the schemathesis check; for
the CLI when its NDJSON report has a failed check of that name on a case of that operation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from contract import CHECKS, PHASES, free_port, timed, wait_until_up  # noqa: E402
from gitrepo import Repo, git_env  # noqa: E402

MIRRORS = "/work/.mirror"
SEED = 20240601                     # guard's default seed
MAX_EXAMPLES = 25                   # guard's default budget


@dataclass(frozen=True)
class App:
    name: str
    framework: str
    mirror: str                     # owner+name under /work/.mirror
    commit: str
    tree: str                       # the folder of the repository that is the project ("" = all)
    app_dir: str                    # where the app is imported from and its server started
    contract: str                   # the contract's path in the built repository
    schema: tuple[str, ...]         # writes the app's own OpenAPI document to stdout
    setup: tuple[tuple[str, ...], ...] = ()
    server: tuple[str, ...] = ()    # {port} is replaced
    env: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)   # added to the project before its set-up
    postgres: bool = False
    target: str = ""                # the app, as guard detects it (for --alone)


APPS = {
    "fastapi": App(
        "full-stack-fastapi-template", "FastAPI", "fastapi+full-stack-fastapi-template",
        # the last commit that runs on Python < 3.14 (later ones need PEP 649 annotations)
        "f459c20a173cf629b3d57b5b2e2de290d96b5698", "", "backend", "openapi.json",
        ("python", "-c", "import json, app.main as m; print(json.dumps(m.app.openapi(), "
                         "indent=2))"),
        # backend/scripts/prestart.sh, with backend/ importable (the template installs it)
        setup=(("env", "PYTHONPATH=.", "alembic", "upgrade", "head"),
               ("env", "PYTHONPATH=.", "python", "app/initial_data.py")),
        server=("uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}",
                "--log-level", "warning"),
        postgres=True, target="app.main:app"),
    "flask": App(
        "rest-apis-flask-python (05-add-many-to-many)", "Flask + flask-smorest",
        "tecladocode+rest-apis-flask-python", "0f6d9c0cc937c6ac8f92ae5b131ba8ecc470356c",
        "project/05-add-many-to-many", "", "openapi.json",
        ("flask", "openapi", "print"),
        server=("gunicorn", "-w", "1", "-b", "127.0.0.1:{port}", "app:create_app()"),
        target="app:create_app()"),
    "drf": App(
        "rest-framework-tutorial", "Django REST Framework + drf-spectacular",
        "encode+rest-framework-tutorial", "efce73a9ccd9430616884a0910affc0dc4a6497c", "", "",
        "openapi.yaml", ("python", "manage.py", "spectacular"),
        setup=(("python", "manage.py", "migrate", "-v", "0"),),
        server=("gunicorn", "-w", "1", "-b", "127.0.0.1:{port}", "tutorial.wsgi"),
        # the contract declares HTTP Basic auth, so most generated requests carry a
        # password that Django hashes with PBKDF2 (1,000,000 rounds): one guard run took
        # over 40 minutes on the loaded 2-core machine. Django's testing advice, a fast
        # hasher, in a settings module chosen through the environment (guard and gunicorn
        # both honour DJANGO_SETTINGS_MODULE); everything else is the app's own settings.
        files={"tutorial/trial_settings.py":
               "from tutorial.settings import *  # noqa: F403\n"
               "PASSWORD_HASHERS = [\"django.contrib.auth.hashers.MD5PasswordHasher\"]\n"},
        env={"DJANGO_SETTINGS_MODULE": "tutorial.trial_settings"},
        target="tutorial.wsgi:application"),
}

VERSIONS = ("fastapi", "starlette", "flask", "flask-smorest", "django", "djangorestframework",
            "drf-spectacular", "schemathesis", "hypothesis", "uvicorn", "gunicorn")


def bin_of(venv: str, name: str) -> str:
    return os.path.join(venv, "bin", name)


def run(argv, cwd, env, venv) -> str:
    argv = [bin_of(venv, argv[0]) if os.path.exists(bin_of(venv, argv[0])) else argv[0],
            *argv[1:]]
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"trial: {' '.join(argv)} failed in {cwd}:\n{proc.stderr[-3000:]}")
    return proc.stdout


def app_env(app: App, postgres: str | None, venv: str) -> dict:
    env = git_env()
    env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(app.env)
    if app.postgres:
        if not postgres:
            raise SystemExit(f"trial: {app.name} needs --postgres (bash .ci/postgres.sh)")
        # the template's settings read POSTGRES_*; the environment wins over its ../.env
        rest, db = postgres.split("://", 1)[1].rsplit("/", 1)
        user, host = rest.split("@")
        env.update(POSTGRES_USER=user.split(":")[0], POSTGRES_PASSWORD=user.split(":")[1],
                   POSTGRES_SERVER=host.split(":")[0], POSTGRES_PORT=host.split(":")[1],
                   POSTGRES_DB=db)
    return env


def fresh_database(url: str, name: str, venv: str) -> str:
    """A new database `name` on the server of ``url``; its URL."""
    code = ("import sys, psycopg\n"
            "c = psycopg.connect(sys.argv[1], autocommit=True)\n"
            f"c.execute('DROP DATABASE IF EXISTS {name} WITH (FORCE)')\n"
            f"c.execute('CREATE DATABASE {name}')\n")
    subprocess.run([bin_of(venv, "python"), "-c", code, url], check=True)
    return url.rsplit("/", 1)[0] + "/" + name


def build(app: App, where: str, env: dict, venv: str) -> tuple[Repo, str]:
    """The app's repository with its generated contract committed on `main`, a branch with one
    unrelated commit checked out; and the app's commit's date."""
    os.makedirs(where)
    git_dir = os.path.join(MIRRORS, app.mirror, "repo")
    treeish = f"{app.commit}:{app.tree}" if app.tree else app.commit
    archive = subprocess.run(["git", "--git-dir", git_dir, "archive", treeish],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", where], input=archive, check=True)
    if app.tree:                    # the repository's own ignore rules (*.db) still hold
        ignore = subprocess.run(["git", "--git-dir", git_dir, "show",
                                 f"{app.commit}:.gitignore"], capture_output=True).stdout
        with open(os.path.join(where, ".gitignore"), "ab") as fh:
            fh.write(ignore)
    for rel, text in app.files.items():
        with open(os.path.join(where, rel), "w", encoding="utf-8") as fh:
            fh.write(text)
    cwd = os.path.join(where, app.app_dir)
    for step in app.setup:
        run(step, cwd, env, venv)
    schema = run(app.schema, cwd, env, venv)
    if app.contract.endswith(".json"):
        schema = json.dumps(json.loads(schema[schema.index("{"):]), indent=2) + "\n"
    with open(os.path.join(where, app.contract), "w", encoding="utf-8") as fh:
        fh.write(schema)
    with open(os.path.join(where, "company.config.yaml"), "w", encoding="utf-8") as fh:
        fh.write(f"guard:\n  contract:\n    path: {app.contract}\n")
    repo = Repo.init(where)
    repo.commit(f"chore: import {app.mirror.replace('+', '/')} at {app.commit[:12]}")
    repo.branch("agent/backend/trial")
    repo.commit("docs: note the trial", {"TRIAL.md": "a branch that changes no handler\n"})
    date = subprocess.run(["git", "--git-dir", git_dir, "log", "-1", "--format=%cs",
                           app.commit], capture_output=True, text=True).stdout.strip()
    return repo, date


def guard_pairs(out: str) -> tuple[set, dict]:
    """(the failed (check, operation) pairs, rules counted) from guard's JSON report."""
    data, _ = json.JSONDecoder().raw_decode(out)
    pairs, rules = set(), {}
    for f in data["findings"]:
        rules[f["rule"]] = rules.get(f["rule"], 0) + 1
        d = f.get("data") or {}
        if f["rule"] == "CONTRACT007" and d.get("schemathesis_check"):
            pairs.add((d["schemathesis_check"], d["operation"]))
        if f["rule"] == "CONTRACT009":
            for op, check, *_ in d.get("inherited") or ():
                pairs.add((check, op))
    return pairs, rules


def cli_pairs(ndjson: str) -> tuple[set, set, set]:
    """(the failed (check, operation) pairs, the operations tested, the pairs whose every
    failing case answered 5xx) from the CLI's NDJSON report."""
    statuses: dict[tuple, set] = {}
    ops = set()
    with open(ndjson, encoding="utf-8") as fh:
        for line in fh:
            finished = json.loads(line).get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            op = recorder["label"]
            ops.add(op)
            interactions = recorder.get("interactions") or {}
            for case_id, nodes in (recorder.get("checks") or {}).items():
                response = (interactions.get(case_id) or {}).get("response") or {}
                for node in nodes:
                    if str(node.get("status")).lower() == "failure":
                        statuses.setdefault((node["name"], op), set()).add(
                            response.get("status_code"))
    on_5xx = {pair for pair, codes in statuses.items()
              if all(isinstance(c, int) and c >= 500 for c in codes)}
    return set(statuses), ops, on_5xx


def timed_stdin(argv, cwd, env, text: str) -> tuple[float, float]:
    """(wall, CPU of the process) of a run fed ``text`` on stdin; fails on a non-zero exit."""
    import resource
    import time
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, input=text.encode(), capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"trial: {' '.join(argv)} failed: {proc.stderr[-2000:]!r}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_min(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} / {min(xs):.2f}"


def trial(app: App, args, tmp: str) -> dict:
    env = app_env(app, args.postgres, args.venv)
    if app.postgres:
        env["POSTGRES_DB"] = fresh_database(args.postgres, "trial_fastapi",
                                            args.venv).rsplit("/", 1)[1]
    repo, date = build(app, os.path.join(tmp, "inproc"), env, args.venv)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    served = os.path.join(tmp, "served")
    shutil.copytree(repo.path, served, symlinks=True)
    srepo = Repo(served)
    srepo.git("checkout", "-q", "main")
    srepo.write("company.config.yaml",
                f"guard:\n  contract:\n    path: {app.contract}\n    url: \"{url}\"\n")
    srepo.commit("chore: check the running server")
    srepo.git("checkout", "-q", "agent/backend/trial")
    srepo.git("rebase", "-q", "main")
    server = subprocess.Popen([bin_of(args.venv, app.server[0]),
                               *(a.replace("{port}", str(port)) for a in app.server[1:])],
                              cwd=os.path.join(served, app.app_dir), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        wait_until_up(url, server, timeout=60)
        guard = [bin_of(args.venv, "guard"), "check", "--only", "contract", "--base", "main",
                 "--format", "json"]
        st = [bin_of(args.venv, "schemathesis"), "run", os.path.join(served, app.contract),
              "--url", url, "--checks", CHECKS, "--phases", PHASES,
              "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
              "--continue-on-failure", "--no-color"]
        kinds = ("in", "alone", "url", "cli") if args.alone else ("in", "url", "cli")
        times = {k: [] for k in kinds}
        cpu = {k: [] for k in kinds}
        conform = json.dumps(dict(
            root=repo.path, app=app.target, app_dir=app.app_dir,
            spec=os.path.join(repo.path, app.contract), headers={}, include=[], exclude=[],
            checks=CHECKS.split(","), phases=PHASES.split(","), max_examples=MAX_EXAMPLES,
            seed=SEED))
        load = [os.getloadavg()[0]]
        last = {}
        for i in range(args.repeat):
            for kind in kinds:
                if kind == "alone":
                    wall, c = timed_stdin([bin_of(args.venv, "python"), "-m",
                                           "guard.checks.contract.helper", "conform"],
                                          os.path.join(repo.path, app.app_dir), env, conform)
                    times[kind].append(wall)
                    cpu[kind].append(c)
                    continue
                if kind == "cli":
                    run_dir = os.path.join(tmp, f"cli{i}")
                    os.makedirs(run_dir)
                    report = os.path.join(run_dir, "report.ndjson")
                    argv, cwd = st + ["--report", "ndjson", "--report-ndjson-path", report], \
                        run_dir
                else:
                    argv, cwd = guard, repo.path if kind == "in" else served
                wall, c, code, out = timed(argv, cwd, env)
                if code not in (0, 1):
                    print(out[-4000:], file=sys.stderr)
                    raise SystemExit(f"trial: {kind} run failed with {code} on {app.name}")
                times[kind].append(wall)
                cpu[kind].append(c)
                last[kind] = (code, out if kind != "cli" else report)
            load.append(os.getloadavg()[0])
        st_failed, st_ops, on_5xx = cli_pairs(last["cli"][1])
        # guard keeps one finding per root cause: on a 5xx it reports not_a_server_error and
        # drops the other checks that failed on the same response (an HTML error page is
        # also the wrong content type); the CLI lists each. Mapped: such a CLI pair counts
        # as guard's not_a_server_error on that operation.
        crashed = {op for check, op in st_failed if check == "not_a_server_error"}
        subsumed = {(check, op) for check, op in on_5xx
                    if check != "not_a_server_error" and op in crashed}
        rows = {}
        for kind in ("in", "url"):
            code, out = last[kind]
            try:
                failed, rules = guard_pairs(out)
            except (json.JSONDecodeError, KeyError) as exc:
                raise SystemExit(f"trial: guard's JSON did not parse ({exc}): {out[:2000]}")
            # contract.timed() returns stdout + stderr: what follows the JSON document is
            # stderr (the app's own warnings, e.g. the FastAPI template's "changethis")
            data, end = json.JSONDecoder().raw_decode(out)
            trailing = out[end:].strip()
            either = failed | st_failed
            mapped = either - (subsumed - failed)
            differ = (failed ^ st_failed) - (subsumed - failed)
            rows[kind] = {
                "exit": code, "rules": dict(sorted(rules.items())),
                "json_lines": out.count("\n"),
                "trailing": trailing[:300],
                "either": len(either), "agree": len(either - (failed ^ st_failed)),
                "mapped": len(mapped), "mapped_agree": len(mapped - differ),
                "subsumed": sorted(subsumed - failed),
                "grid": len(st_ops) * len(CHECKS.split(",")),
                "only_guard": sorted(failed - st_failed),
                "only_cli": sorted(st_failed - failed),
            }
            rows[kind]["facts"] = {k: data["facts"]["contract"].get(k) for k in
                                   ("app", "operations", "routes", "tested", "cases",
                                    "inherited", "timings")}
            rows[kind]["messages"] = [(f["rule"], f.get("path"), f.get("line"), f["message"][:300])
                                      for f in data["findings"] if f["rule"] != "CONTRACT007"]
        return {"app": app, "date": date, "times": times, "cpu": cpu, "load": load,
                "rows": rows, "cli_ops": len(st_ops), "cli_failed": len(st_failed),
                "cli_exit": last["cli"][0]}
    finally:
        try:
            os.killpg(server.pid, 15)
        except ProcessLookupError:
            pass
        server.wait(timeout=10)


def report(results: list[dict]) -> None:
    vs = []
    for name in VERSIONS:
        try:
            vs.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; {', '.join(vs)}")
    print(f"budget: guard's defaults, --max-examples {MAX_EXAMPLES}, --seed {SEED}, phases "
          f"{PHASES}, checks {CHECKS}")
    for r in results:
        a = r["app"]
        print(f"\n{a.name} ({a.framework}) at {a.commit[:12]} ({r['date']}); load average "
              f"{' / '.join(f'{x:.1f}' for x in r['load'])}; CLI exit {r['cli_exit']}, "
              f"{r['cli_ops']} operations, {r['cli_failed']} failed pairs")
        for kind, label in (("in", "guard, app in-process"), ("url", "guard, url: server")):
            row = r["rows"][kind]
            print(f"  {label}: exit {row['exit']}, {row['json_lines']} JSON lines, findings "
                  f"{row['rules']}; facts {row['facts']}")
            print(f"    agreement (pairs either side failed): {row['agree']}/{row['either']} raw,"
                  f" {row['mapped_agree']}/{row['mapped']} with the 5xx mapping; all pairs: "
                  f"{row['grid'] - row['either'] + row['agree']}/{row['grid']}")
            if row["subsumed"]:
                print(f"    CLI pairs on a 5xx, reported by guard as not_a_server_error: "
                      f"{row['subsumed']}")
            if row["trailing"]:
                print(f"    stderr: {row['trailing']!r}")
            if row["only_guard"]:
                print(f"    only guard: {row['only_guard']}")
            if row["only_cli"]:
                print(f"    only the CLI: {row['only_cli']}")
            for m in row["messages"]:
                print(f"    {m}")
    print("\n| app | framework | operations | pairs agreeing, in-process | pairs agreeing, url: "
          "| guard in-process / CLI (median, min, CPU) | guard url: / CLI (median, min, CPU) "
          "| wall median / min, s (in, url, CLI) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        t, c = r["times"], r["cpu"]
        sm, smin, sc = (statistics.median(t["cli"]), min(t["cli"]),
                        statistics.median(c["cli"]))

        def ratio(kind: str) -> str:
            return (f"{statistics.median(t[kind]) / sm:.2f}x, {min(t[kind]) / smin:.2f}x, "
                    f"{statistics.median(c[kind]) / sc:.2f}x")
        rin, rurl = r["rows"]["in"], r["rows"]["url"]
        print(f"| {r['app'].name} | {r['app'].framework} | {r['cli_ops']} "
              f"| {rin['mapped_agree']}/{rin['mapped']} ({rin['agree']}/{rin['either']} raw) "
              f"| {rurl['mapped_agree']}/{rurl['mapped']} ({rurl['agree']}/{rurl['either']} raw) "
              f"| {ratio('in')} | {ratio('url')} "
              f"| {median_min(t['in'])}, {median_min(t['url'])}, {median_min(t['cli'])} |")
    for r in results:
        t, c = r["times"], r["cpu"]
        if t.get("alone"):
            sm, sc = statistics.median(t["cli"]), statistics.median(c["cli"])
            print(f"{r['app'].name}: one in-process run without the base (--alone) "
                  f"{median_min(t['alone'])} s, {statistics.median(t['alone']) / sm:.2f}x the "
                  f"CLI (CPU {statistics.median(c['alone']) / sc:.2f}x); guard in-process "
                  f"{statistics.median(t['in']) / statistics.median(t['alone']):.2f}x it")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--venv", default=os.path.dirname(os.path.dirname(sys.executable)))
    ap.add_argument("--apps", default=",".join(APPS), help=f"of {', '.join(APPS)}")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("GUARD_TRIAL_POSTGRES"),
                    help="postgresql:// URL of a server (bash .ci/postgres.sh prints one)")
    ap.add_argument("--keep", action="store_true", help="keep the built repositories")
    ap.add_argument("--alone", action="store_true",
                    help="also time one in-process run without the base's (the floor)")
    args = ap.parse_args()
    results = []
    for name in args.apps.split(","):
        tmp = tempfile.mkdtemp(prefix=f"trial-{name}-")
        try:
            results.append(trial(APPS[name], args, tmp))
        finally:
            if args.keep:
                print(f"kept {tmp}", file=sys.stderr)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
