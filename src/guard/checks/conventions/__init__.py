"""conventions: the seed's server-side rules that code can be held to — ports, environment
variables, background jobs, tests alongside changes, secrets.

Reads only what the branch changed, at the head revision (the index in --staged mode),
through one batched `git cat-file`: Python through `ast`, JavaScript/TypeScript through a
tokenizer that skips strings, template literals, comments and regex literals. Findings on
code are limited to the lines the branch changed (every line of an added file), so an agent
is held to what it wrote, not to what it found. A file is parsed only when it holds one of
the words a rule looks for (a byte search first), which keeps a 20,000-file change fast.
"""

from __future__ import annotations

import posixpath
import re
from typing import Iterator

from guard.checks.conventions import envfile, rules
from guard.checks.conventions.facts import FileFacts
from guard.finding import Finding
from guard.git import ZERO_SHA

PY_EXT = (".py",)
JS_EXT = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")
# a file without any of these cannot trigger a port or env-var rule (jobs are always parsed)
PY_MARK = re.compile(rb"environ|getenv|BaseSettings|decouple|\bEnv\b|HTTPServer|TCPServer|"
                     rb"--port|--bind|\bbind\b|\b(?:run|listen|serve|run_app|run_simple|"
                     rb"make_server|start_server|create_server|Config)\s*\(")
JS_MARK = re.compile(rb"process|import\.meta|Bun\.|Deno\.|\b(?:listen|serve|createServer|"
                     rb"WebSocketServer|startServer|startStandaloneServer)\s*\(")
MAX_BYTES = 2_000_000     # bigger files are generated or bundled; not parsed


class Source:
    """One changed file at the head revision, and which of its lines the branch changed."""

    def __init__(self, change, data: bytes) -> None:
        self.change = change
        self.path = change.path
        self.data = data
        self.text = data.decode("utf-8", "replace")
        self._changed: set[int] | None = None
        self.all_changed = change.old_sha == ZERO_SHA or change.status in ("A", "C")
        self.old: bytes | None = None

    def needs_old(self) -> bool:
        return not self.all_changed

    def set_old(self, old: bytes | None) -> None:
        if old is None:
            self.all_changed = True
            return
        before = {line.strip() for line in old.decode("utf-8", "replace").splitlines()}
        self._changed = {n for n, line in enumerate(self.text.splitlines(), 1)
                         if line.strip() not in before}

    def changed(self, first: int, last: int | None = None) -> bool:
        if self.all_changed:
            return True
        last = first if last is None else last
        return any(n in self._changed for n in range(first, last + 1))


def run(ctx) -> Iterator[Finding]:
    from guard.checks.conventions_spec import parse_config
    from guard.patterns import PatternSet

    settings = ctx.settings("conventions") or parse_config(None, file="company.config.yaml",
                                                           line=None)
    server = PatternSet(settings.server_paths)
    jobs = PatternSet(settings.job_paths)
    tests = PatternSet(settings.test_paths)
    env_files = PatternSet(settings.env_files)
    git = ctx.git
    head_rev = ":" if ctx.mode == "staged" else ctx.head

    live = [c for c in ctx.changes if c.status != "D" and c.kind == "file"]
    yield from rules.env_files_committed(live, env_files)
    yield from rules.tests_alongside(ctx.changes, server, tests, PY_EXT + JS_EXT)

    blobs = git.read_blobs([c.new_sha for c in live if c.old_sha != c.new_sha])
    sources: list[Source] = []
    for change in live:
        if change.old_sha == change.new_sha:
            continue                 # a pure rename or mode change: no line is new
        data = blobs.get(change.new_sha)
        if data is None or len(data) > MAX_BYTES or b"\0" in data[:8000]:
            continue
        sources.append(Source(change, data))

    # code: facts from each server source file that can hold something
    from guard.checks.conventions import jsfacts, pyfacts, scripts
    analysed: list[tuple[Source, FileFacts]] = []
    for src in sources:
        path = src.path
        in_tests = tests.decide(path) is not None
        if in_tests:
            continue
        is_job = jobs.decide(path) is not None
        if path.endswith(PY_EXT) and server.decide(path):
            if is_job or PY_MARK.search(src.data):
                analysed.append((src, pyfacts.analyze(src.text, path, job_file=is_job)))
        elif path.endswith(JS_EXT) and server.decide(path):
            if is_job or JS_MARK.search(src.data):
                analysed.append((src, jsfacts.analyze(src.text, path, job_file=is_job)))
        elif scripts.is_script(path) and b"-" in src.data:
            analysed.append((src, scripts.analyze(src.text, path)))
    analysed = [(s, f) for s, f in analysed
                if f.env_reads or f.ports or f.jobs or f.parse_error]

    # secrets: every text file the branch changed
    from guard.checks.conventions import secrets
    secret_hits = []
    for src in sources:
        generic = tests.decide(src.path) is None and (
            secrets.is_config(src.path) or bool(server.decide(src.path)))
        hits = secrets.scan(src.text, src.path, generic=generic)
        if hits:
            secret_hits.append((src, hits))

    # which lines changed: one more batched read for the old side of modified files
    need_old = {id(s): s for s, _ in analysed if s.needs_old()}
    olds = git.read_blobs(list({s.change.old_sha for s in need_old.values()}))
    for src in need_old.values():
        src.set_old(olds.get(src.change.old_sha))

    env_raw = git.read_blob(head_rev, settings.env_example)
    env = envfile.parse(env_raw.decode("utf-8", "replace")) if env_raw is not None else None
    env_change = next((c for c in ctx.changes if c.path == settings.env_example
                       and c.status != "D"), None)

    yield from rules.parse_errors(analysed)
    reported: set[str] = set()
    yield from rules.ports(analysed, settings, env, env_change, reported)
    yield from rules.env_vars(analysed, settings, env, reported)
    app_evidence = _app_modules(git, head_rev, analysed)
    yield from rules.jobs(analysed, app_evidence)
    for src, hits in secret_hits:
        added = None
        if not src.all_changed and src.change.old_sha != ZERO_SHA:
            added = set(git.added_lines(src.change.old_sha, src.change.new_sha))
        yield from rules.secrets(src, hits, added)


def _module_candidates(path: str, module: str) -> list[str]:
    level = len(module) - len(module.lstrip("."))
    rest = module.lstrip(".").replace(".", "/")
    if level:
        base = posixpath.dirname(path)
        for _ in range(level - 1):
            base = posixpath.dirname(base)
        stem = posixpath.join(base, rest) if rest else base
        return [stem + ".py", stem + "/__init__.py"] if rest else [stem + "/__init__.py"]
    return [rest + ".py", rest + "/__init__.py", "src/" + rest + ".py",
            "src/" + rest + "/__init__.py"]


def _app_modules(git, head_rev: str, analysed) -> dict[str, set[str]]:
    """path of a job file -> setting words of the modules its jobs' app/base come from (read
    at the head revision, changed or not: retries configured on the app count)."""
    from guard.checks.conventions.pyfacts import module_evidence

    wanted: dict[str, list[str]] = {}
    for src, facts in analysed:
        if facts.jobs and facts.app_modules:
            wanted[src.path] = [c for m in sorted(facts.app_modules)
                                for c in _module_candidates(src.path, m)]
    specs = sorted({c for cands in wanted.values() for c in cands
                    if "\n" not in c and " " not in c})
    prefix = ":" if head_rev == ":" else f"{head_rev}:"
    found = git.read_blobs([prefix + c for c in specs]) if specs else {}
    words = {spec: module_evidence(data.decode("utf-8", "replace"))
             for spec, data in found.items()}
    return {path: set().union(*(words.get(prefix + c, set()) for c in cands))
            for path, cands in wanted.items()}
