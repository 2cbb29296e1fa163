"""The rule families: facts in, findings out. No formatting beyond each finding's own words."""

from __future__ import annotations

from typing import Iterable, Iterator

from guard.checks.conventions.facts import FACETS, has_facet
from guard.finding import Finding

CHECK = "conventions"
JS_EXT = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")


def _is_js(path: str) -> bool:
    return path.endswith(JS_EXT)


def _where(path: str, line: int) -> str:
    return f"{path}:{line}"


# -- .env committed -----------------------------------------------------------------------
def env_files_committed(live, env_files, env_name: str = ".env.example") -> Iterator[Finding]:
    for change in live:
        src = env_files.decide(change.path)
        if src is None:
            continue
        yield Finding(
            "CONV010", CHECK, "error",
            f"{change.path} ({change.describe}) is an environment file with real values "
            f"(pattern `{src.pattern}`); only the .env.example template belongs in git",
            f"git rm --cached {change.path}, add it to .gitignore, document its variables in "
            f"{env_name}, and rotate any secret it held", change.path, None,
            (("fix_paths", (".gitignore", env_name)),))


# -- tests alongside ----------------------------------------------------------------------
# a test file by its name, wherever it lives: Jest/Vitest `orders.test.ts`, `__tests__/`,
# pytest `test_orders.py`, `orders_test.py`, `conftest.py`, a `tests/` folder inside src/.
# String tests, not a regular expression: it is asked for every changed path (a regex
# search cost ~40 ms on a 20,000-file change)
_JS_TEST_EXTS = frozenset(f"{cm}{jt}s{x}" for cm in ("", "c", "m") for jt in "jt"
                          for x in ("", "x"))


def is_test_file(path: str) -> bool:
    slashed = "/" + path         # (a name holds no `/`: these marks can only be folders)
    if "/tests/" in slashed or "/test/" in slashed or "/__tests__/" in slashed:
        return True
    name = path[path.rfind("/") + 1:]
    if name.endswith(".py"):
        return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    if ".test." not in name and ".spec." not in name:
        return False
    parts = name.rsplit(".", 2)
    return len(parts) == 3 and parts[1] in ("test", "spec") and parts[2] in _JS_TEST_EXTS


def tests_alongside(changes, server, tests, exts) -> Iterator[Finding]:
    def decide(path):                    # every path the change touches: both ends of a rename
        return tests.decide(path) or is_test_file(path)
    touched_tests = any(decide(c.path) or (c.status == "R" and c.old_path is not None
                                           and decide(c.old_path)) for c in changes)
    if touched_tests:
        return
    code = [c.path for c in changes if c.status != "D" and c.kind == "file"
            and c.path.endswith(exts) and server.decide(c.path) and not decide(c.path)]
    if not code:
        return
    where = ", ".join(s.pattern for s in tests.sources)
    shown = ", ".join(code[:3]) + (f" and {len(code) - 3} more" if len(code) > 3 else "")
    yield Finding(
        "CONV008", CHECK, "warning",
        f"{len(code)} server source file(s) changed ({shown}) with no change under the test "
        f"paths ({where})",
        "add or update tests for the change under the test paths and run them before "
        "reporting completion", code[0])


# -- parse errors -------------------------------------------------------------------------
def parse_errors(analysed) -> Iterator[Finding]:
    for src, facts in analysed:
        if facts.parse_error:
            line, msg = facts.parse_error
            if facts.too_big:
                yield Finding(
                    "CONV011", CHECK, "error",
                    f"{src.path} is too large to check ({msg}); a hard-coded port or "
                    "environment read in it would go unseen",
                    "split the file, or keep generated and bundled code out of the server "
                    "paths", src.path, line)
                continue
            yield Finding(
                "CONV011", CHECK, "warning",
                f"{src.path}:{line} could not be parsed ({msg}); the conventions rules did not "
                "check this file", "fix the syntax error, then run guard again", src.path, line)


# -- ports --------------------------------------------------------------------------------
def _fix_at(path: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The data that names the file a hint's fix edits: the engine holds it to the role."""
    return (("fix_paths", (path,)),)


def _port_fix(path: str, value: str, env_name: str) -> str:
    if _is_js(path):
        code = f"Number(process.env.API_PORT ?? {value})"
    elif path.endswith(".py"):
        code = f'int(os.environ.get("API_PORT", "{value}"))'
    else:
        code = f"${{API_PORT:-{value}}}"
    return (f"read the port from API_PORT (or PORT) with a default — {code} — and document "
            f"API_PORT={value}  # comment in {env_name}")


def ports(analysed, settings, env, env_change, reported: set[str]) -> Iterator[Finding]:
    """CONV001-003. ``reported`` collects the variables CONV002 asked to add, so CONV004
    does not ask again."""
    env_name = settings.env_example
    listen_vars: dict[str, tuple[str, int]] = {}
    for src, facts in analysed:
        for site in facts.ports:
            if not src.changed(site.line):
                continue
            if site.source == "literal":
                via = f" (via {site.via})" if site.via else ""
                fix = _port_fix(src.path, site.value, env_name)
                if site.defined_at:          # the constant of another module
                    fix = f"in {site.defined_at}, {fix}"
                yield Finding(
                    "CONV001", CHECK, "error",
                    f"{_where(src.path, site.line)}: {site.call} uses the hard-coded port "
                    f"{site.value}{via}",
                    fix, src.path, site.line, _fix_at(env_name))
            elif site.source == "env":
                for var in site.vars:
                    listen_vars.setdefault(var, (src.path, site.line))
    for var, (path, line) in listen_vars.items():
        if var not in settings.port_vars:
            yield Finding(
                "CONV003", CHECK, "warning",
                f"{_where(path, line)}: the server port is read from {var}, which is not in the "
                f"SERVICE_PORT family ({', '.join(settings.port_vars)})",
                f"rename {var} to API_PORT (or the SERVICE_PORT name of this service: WEB_PORT, "
                "WORKER_PORT, ...), or add it to guard.conventions.port_vars", path, line)
    doc_vars = dict(listen_vars)
    for src, facts in analysed:
        for read in facts.env_reads:
            if read.var in settings.port_vars and src.changed(read.line):
                doc_vars.setdefault(read.var, (src.path, read.line))
    for var, (path, line) in doc_vars.items():
        entry = None if env is None else env.get(var)
        if env is None:
            yield Finding(
                "CONV002", CHECK, "warning",
                f"{_where(path, line)}: the server port variable {var} is not documented: there "
                f"is no {env_name}",
                f"create {env_name} with {var}=NNNN  # why this port (e.g. the framework "
                "default)", path, line, _fix_at(env_name))
        elif entry is None or entry.commented_out:
            yield Finding(
                "CONV002", CHECK, "warning",
                f"{_where(path, line)}: the server port variable {var} is not set in {env_name}",
                f"add {var}=NNNN  # why this port — to {env_name}", path, line,
                _fix_at(env_name))
        else:
            continue
        reported.add(var)
    if env is None:
        return
    for var, entry in sorted(env.items(), key=lambda kv: kv[1].line):
        if var in reported or entry.commented_out or not (
                var in settings.port_vars or var in doc_vars):
            continue
        if var not in doc_vars and env_change is None:
            continue      # not read by changed code, and the file did not change
        problems = []
        if not entry.value.isdigit() or not 0 < int(entry.value) < 65536:
            problems.append("no port number")
        if not entry.comment:
            problems.append("no comment")
        if problems:
            yield Finding(
                "CONV002", CHECK, "warning",
                f"{env_name}:{entry.line}: {var} has {' and '.join(problems)} "
                f"(expected {var}=NNNN  # comment)",
                f"write it as {var}={entry.value if entry.value.isdigit() else '8000'}  # why "
                "this port (e.g. FastAPI default — change if port conflicts)",
                env_name, entry.line, _fix_at(env_name))


# -- environment variables ----------------------------------------------------------------
def env_vars(analysed, settings, env, reported: set[str]) -> Iterator[Finding]:
    from guard.checks.conventions.envfile import lookup

    sites: dict[str, list[tuple[str, int, str]]] = {}
    for src, facts in analysed:
        for read in facts.env_reads:
            if read.var in settings.env_ignore or not src.changed(read.line):
                continue
            sites.setdefault(read.var, []).append((src.path, read.line, read.how))
    env_name = settings.env_example
    for var, where in sites.items():
        if var in reported:
            continue   # CONV002 already asks for it
        if env is not None and lookup(env, var) is not None:
            continue
        path, line, how = where[0]
        also = ""
        if len(where) > 1:
            also = "; also read at " + ", ".join(_where(p, n) for p, n, _ in where[1:4])
            also += f" and {len(where) - 4} more" if len(where) > 4 else ""
        missing = f"there is no {env_name}" if env is None else f"{env_name} does not list it"
        yield Finding(
            "CONV004", CHECK, "warning",
            f"{_where(path, line)}: {var} is read from the environment ({how}) but {missing}"
            f"{also}",
            f"add {var}=  # what it is and where DevOps gets it — to {env_name}", path, line,
            _fix_at(env_name))


# -- background jobs ----------------------------------------------------------------------
_HINTS = {
    ("CONV005", False): "set a retry policy on the task (e.g. @app.task(autoretry_for="
                        "(TransientError,), max_retries=5, retry_backoff=True); "
                        "@dramatiq.actor(max_retries=5); arq max_tries) or for every task on "
                        "the app (Celery task_annotations)",
    ("CONV005", True): "set attempts and backoff (new Queue(name, { defaultJobOptions: "
                       "{ attempts: 5, backoff: { type: 'exponential', delay: 1000 } } }), or "
                       "per queue.add())",
    ("CONV006", False): "take an idempotency key (e.g. an idempotency_key argument checked "
                        "before any side effect) so a retried or duplicated job does its work "
                        "once",
    ("CONV006", True): "give each job a jobId built from the business key (queue.add(name, "
                       "data, { jobId: `order-${id}` })) or use BullMQ deduplication",
    ("CONV007", False): "handle exhausted retries: on_failure / link_error on the task, a "
                        "task_failure signal handler, or a dead-letter queue",
    ("CONV007", True): "handle failed jobs: worker.on('failed', ...) moving them to a "
                       "dead-letter queue",
}


def jobs(analysed, app_evidence: dict[str, set[str]]) -> Iterator[Finding]:
    for src, facts in analysed:
        if not facts.jobs:
            continue
        shared = facts.file_evidence | app_evidence.get(src.path, set())
        for job in facts.jobs:
            if not src.changed(job.line, job.end_line):
                continue
            words = job.evidence | shared
            for rule, what, needles in FACETS:
                if has_facet(words, needles):
                    continue
                yield Finding(
                    rule, CHECK, "warning",
                    f"{_where(src.path, job.line)}: {job.kind} {job.name!r} has no {what} "
                    "(on the job, its base class, its file or its app)",
                    _HINTS[(rule, _is_js(src.path))], src.path, job.line,
                    (("job", job.name),))


# -- secrets ------------------------------------------------------------------------------
def secrets(src, hits: Iterable, added: set[int] | None) -> Iterator[Finding]:
    for hit in hits:
        if added is not None and hit.line not in added:
            continue
        yield Finding(
            "CONV009", CHECK, "error",
            f"{_where(src.path, hit.line)}: credential added on the branch: {hit.kind} "
            f"({hit.shown})",
            "remove it and rewrite the branch's history before it is pushed; treat the "
            "credential as leaked and rotate it; read it from the environment or a secret "
            "store instead", src.path, hit.line)
