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
PY_MARK = re.compile(r"environ|getenv|HTTPServer|TCPServer|\bport\b|--port|--bind|\bbind\b|"
                     r"\b(?:run|listen|serve|run_app|run_simple|make_server|start_server|"
                     r"create_server|Config)\s*\(")
JS_MARK = re.compile(r"process|import\.meta|Bun\.|Deno\.|\bport\b|\b(?:listen|serve|"
                     r"createServer|WebSocketServer|startServer|startStandaloneServer)\s*\(")
# files where a finding's line need not hold a marker word: parsed whenever they change
PY_ALWAYS = ("BaseSettings", "decouple", "environs", "Env(")
JS_ALWAYS = re.compile(r"\}\s*=\s*(?:process|Bun)\.env\b")
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
        self.in_tests = False
        self.in_server = False
        self.lines: list[str] | None = None

    def needs_old(self) -> bool:
        return not self.all_changed

    def set_old(self, old: bytes | None) -> None:
        if old is None:
            self.all_changed = True
            return
        before = {line.strip() for line in old.decode("utf-8", "replace").splitlines()}
        self.lines = self.text.splitlines()
        self._changed = {n for n, line in enumerate(self.lines, 1)
                         if line.strip() not in before}

    def changed_text(self, context: int) -> str:
        """The changed lines with ``context`` lines around each (all of an added file)."""
        if self.all_changed or self.lines is None:
            return self.text
        keep = sorted({k for n in self._changed
                       for k in range(max(1, n - context), n + context + 1)})
        return "\n".join(self.lines[k - 1] for k in keep if k <= len(self.lines))

    def changed(self, first: int, last: int | None = None) -> bool:
        if self.all_changed:
            return True
        last = first if last is None else last
        return any(n in self._changed for n in range(first, last + 1))


class _Memo:
    """A PatternSet that answers each path once (several rules ask about the same path)."""

    def __init__(self, patterns) -> None:
        self.sources = patterns.sources
        self._decide = patterns.decide
        self._seen: dict = {}

    def decide(self, path: str):
        try:
            return self._seen[path]
        except KeyError:
            found = self._seen[path] = self._decide(path)
            return found


def run(ctx) -> Iterator[Finding]:
    from guard.checks.conventions_spec import parse_config
    from guard.patterns import PatternSet

    settings = ctx.settings("conventions") or parse_config(None, file="company.config.yaml",
                                                           line=None)
    server = _Memo(PatternSet(settings.server_paths))
    jobs = PatternSet(settings.job_paths)
    tests = _Memo(PatternSet(settings.test_paths))
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

    # where each file sits, decided once
    from guard.checks.conventions import jsfacts, pyfacts, scripts, secrets
    code: list[tuple[Source, str, bool]] = []       # (source, language, job file)
    for src in sources:
        path = src.path
        if tests.decide(path) is not None:
            src.in_tests = True
            continue
        src.in_server = server.decide(path) is not None
        if src.in_server and path.endswith(PY_EXT + JS_EXT):
            lang = "py" if path.endswith(PY_EXT) else "js"
            code.append((src, lang, jobs.decide(path) is not None))
        elif scripts.is_script(path) and b"-" in src.data:
            code.append((src, "sh", False))

    # secrets: every text file the branch changed
    secret_hits = []
    for src in sources:
        generic = not src.in_tests and (src.in_server or secrets.is_config(src.path))
        hits = secrets.scan(src.text, src.path, generic=generic)
        if hits:
            secret_hits.append((src, hits))

    # which lines changed: one more batched read, the old side of modified files
    need_old = {id(s): s for s, _, _ in code if s.needs_old()}
    need_old.update((id(s), s) for s, _ in secret_hits if s.needs_old())
    olds = git.read_blobs(list({s.change.old_sha for s in need_old.values()}))
    for src in need_old.values():
        src.set_old(olds.get(src.change.old_sha))

    # code: parse a file only when a line the branch changed (or its neighbours) holds a
    # word a rule looks for; job files, settings classes and scripts always
    analysed: list[tuple[Source, FileFacts]] = []
    for src, lang, is_job in code:
        if lang == "sh":
            facts = scripts.analyze(src.text, src.path)
        elif lang == "py":
            if not (is_job or any(w in src.text for w in PY_ALWAYS)
                    or PY_MARK.search(src.changed_text(3))):
                continue
            facts = pyfacts.analyze(src.text, src.path, job_file=is_job)
        else:
            if not (is_job or (".env" in src.text and JS_ALWAYS.search(src.text))
                    or JS_MARK.search(src.changed_text(3))):
                continue
            facts = jsfacts.analyze(src.text, src.path, job_file=is_job)
        if facts.env_reads or facts.ports or facts.jobs or facts.parse_error:
            analysed.append((src, facts))

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
        # a line whose text the old file never had is added in any diff; only a hit on a
        # line that existed before (moved, duplicated) needs git's own answer
        if not src.all_changed and not all(src.changed(h.line) for h in hits):
            added = set(git.added_lines(src.change.old_sha, src.change.new_sha))
            added.update(h.line for h in hits if src.changed(h.line))
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
