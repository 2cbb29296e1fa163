"""The contract check vs the `schemathesis run` command-line tool, on the same app, contract,
example budget and seed, against the same running server — in one run, side by side.

    python benchmarks/contract.py                 # 3 runs each, median and min
    python benchmarks/contract.py --repeat 5 --max-examples 50
    python benchmarks/contract.py --strict        # exit 1 when guard is over 1.2x the CLI

guard does more than the CLI in that time: it reads the contract from git, validates it with
openapi-spec-validator, imports the app to list its routes and diffs them with the contract,
then runs the same schemathesis engine. Both are timed as command-line processes, from start
to exit, so both pay their own imports. The CLI gets --continue-on-failure because guard
runs every example of a scenario after a failure too (to report every root cause): the
same budget means the same number of requests. Each CLI run starts in a fresh folder, as in
a clean CI checkout: its cross-run cache (.schemathesis/) and example database
(.hypothesis/) would otherwise steer later runs, which guard avoids to stay deterministic.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures", "contract")
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from gitrepo import backend_project, git_env  # noqa: E402

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance,negative_data_rejection,"
          "positive_data_acceptance,unsupported_method")
PHASES = "examples,coverage,fuzzing"
TARGET = 1.2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read(*parts: str) -> str:
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as fh:
        return fh.read()


def tool(name: str) -> list[str]:
    here = os.path.join(os.path.dirname(sys.executable), name)
    return [here] if os.path.exists(here) else [sys.executable, "-m", name]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"benchmark: the server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url + "/items", timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("benchmark: the server never answered")


def timed(argv: list[str], cwd: str, env: dict) -> tuple[float, float, int, str]:
    """wall time and CPU time (user + system of the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode, proc.stdout + proc.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-examples", type=int, default=25)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--app", default="fastapi_bad", help="fixture app under tests/fixtures/contract")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="guard-bench-contract-")
    server = None
    try:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        config = ("guard:\n  role: backend\n  contract:\n"
                  "    path: artifacts/api/openapi.yaml\n"
                  "    app: \"src.api.app:app\"\n"
                  f"    url: \"{url}\"\n"
                  f"    max_examples: {args.max_examples}\n    seed: {args.seed}\n")
        repo = backend_project(os.path.join(tmp, "repo"), config=config, extra={
            "artifacts/api/openapi.yaml": read("openapi.yaml"),
            "src/__init__.py": "", "src/api/__init__.py": "",
            "src/api/app.py": read(args.app, "app.py")})
        repo.commit("feat(api): work", {"src/api/notes.md": "x\n"})
        # the same project with the app in guard's process (no server, no url:)
        inproc = backend_project(os.path.join(tmp, "inproc"), config=config.replace(
            f"    url: \"{url}\"\n", ""), extra={
            "artifacts/api/openapi.yaml": read("openapi.yaml"),
            "src/__init__.py": "", "src/api/__init__.py": "",
            "src/api/app.py": read(args.app, "app.py")})
        inproc.commit("feat(api): work", {"src/api/notes.md": "x\n"})
        env = git_env()
        server = subprocess.Popen(tool("uvicorn") + ["src.api.app:app", "--host", "127.0.0.1",
                                                     "--port", str(port), "--log-level",
                                                     "warning"],
                                  cwd=repo.path, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until_up(url, server)
        load_before = f"{os.getloadavg()[0]:.2f}"

        guard_argv = tool("guard") + ["check", "--only", "contract", "--base", "main",
                                      "--format", "json"]
        cli_dir = os.path.join(tmp, "cli")         # its .schemathesis/ and .hypothesis/ land here
        os.makedirs(cli_dir)
        st_argv = tool("schemathesis") + [
            "run", os.path.join(repo.path, "artifacts/api/openapi.yaml"), "--url", url,
            "--checks", CHECKS, "--phases", PHASES, "--max-examples", str(args.max_examples),
            "--seed", str(args.seed), "--continue-on-failure", "--no-color"]

        guard_times, st_times, guard_cpu, st_cpu = [], [], [], []
        in_times, in_cpu = [], []
        guard_code = st_code = in_code = None
        for i in range(args.repeat):            # interleaved, so drift hits both alike
            t, c, guard_code, out = timed(guard_argv, repo.path, env)
            if guard_code not in (0, 1):
                print(out, file=sys.stderr)
                raise SystemExit("benchmark: guard failed")
            guard_times.append(t)
            guard_cpu.append(c)
            t, c, in_code, out = timed(guard_argv, inproc.path, env)
            if in_code not in (0, 1):
                print(out, file=sys.stderr)
                raise SystemExit("benchmark: guard (in-process) failed")
            in_times.append(t)
            in_cpu.append(c)
            # a fresh folder per CLI run: no .schemathesis/ cache or .hypothesis/ examples
            # from the previous run steer it (guard runs without both, for determinism)
            run_dir = os.path.join(cli_dir, str(i))
            os.makedirs(run_dir)
            t, c, st_code, out = timed(st_argv + ["--report", "junit", "--report-junit-path",
                                                  os.path.join(run_dir, "junit.xml")],
                                       run_dir, env)
            if st_code not in (0, 1):
                print(out, file=sys.stderr)
                raise SystemExit("benchmark: schemathesis failed")
            st_times.append(t)
            st_cpu.append(c)

        import json
        data = json.loads(subprocess.run(guard_argv, cwd=repo.path, env=env,
                                         capture_output=True, text=True).stdout)
        facts = data["facts"]["contract"]
        rules = {}
        for f in data["findings"]:
            rules[f["rule"]] = rules.get(f["rule"], 0) + 1
        import schemathesis
        gm, sm = statistics.median(guard_times), statistics.median(st_times)
        ratio = gm / sm
        best = min(guard_times) / min(st_times)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
              f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
              f"schemathesis {schemathesis.__version__ if hasattr(schemathesis, '__version__') else '?'}")
        print(f"app: tests/fixtures/contract/{args.app} (uvicorn, {url}); contract: "
              f"{facts['operations']} operations; budget: --max-examples {args.max_examples}, "
              f"--seed {args.seed}, phases {PHASES}, 8 checks; {args.repeat} runs each")
        timings = ", ".join(f"{k} {v:.2f}s" for k, v in facts.get("timings", {}).items())
        print(f"load average before/after: {load_before} / {os.getloadavg()[0]:.2f}")
        print(f"{'':30}{'wall median':>12}{'wall min':>10}{'cpu median':>12}")
        print(f"{'guard check --only contract':30}{gm:>11.2f}s{min(guard_times):>9.2f}s"
              f"{statistics.median(guard_cpu):>11.2f}s   exit {guard_code}, "
              f"findings {dict(sorted(rules.items()))}")
        im = statistics.median(in_times)
        print(f"{'guard, app in-process':30}{im:>11.2f}s{min(in_times):>9.2f}s"
              f"{statistics.median(in_cpu):>11.2f}s   exit {in_code}, "
              f"{im / sm:.2f}x the CLI against the server")
        print(f"{'schemathesis run (CLI)':30}{sm:>11.2f}s{min(st_times):>9.2f}s"
              f"{statistics.median(st_cpu):>11.2f}s   exit {st_code}")
        print(f"cpu ratio guard / CLI: "
              f"{statistics.median(guard_cpu) / statistics.median(st_cpu):.2f}x")
        ok = ratio <= TARGET
        print(f"ratio guard / CLI: {ratio:.2f}x of medians, {best:.2f}x of minimums (target <= {TARGET}x: "
              f"{'met' if ok else 'MISSED'}); guard also validated the contract and diffed "
              f"{facts.get('routes', 0)} routes")
        print(f"guard's own split (last run): {timings}")
        # agreement per operation (failed or not): guard's CONTRACT007 against the CLI's JUnit
        # report of its last run. Per (check, operation) needs the CLI's ST codes mapped to
        # check names, not done yet.
        import xml.etree.ElementTree as ET
        junit = ET.parse(os.path.join(run_dir, "junit.xml")).getroot()
        cli_ops = {tc.get("name"): tc.find("failure") is not None for tc in junit.iter("testcase")}
        guard_failed = {dict(f.get("data") or {}).get("operation") or f["message"].split(":")[0]
                        for f in data["findings"] if f["rule"] == "CONTRACT007"}
        same = [op for op, failed in cli_ops.items() if (op in guard_failed) == failed]
        print(f"agreement per operation (failed or not), guard vs CLI: {len(same)}/{len(cli_ops)}"
              + ("" if len(same) == len(cli_ops) else
                 f"; differ: {sorted(set(cli_ops) - set(same))}"))
        return 1 if (args.strict and not ok) else 0
    finally:
        if server is not None:
            try:
                os.killpg(server.pid, 15)
            except ProcessLookupError:
                pass
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
