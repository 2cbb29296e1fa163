"""contract: the implemented API matches the agreed OpenAPI contract.

1. the contract is valid (openapi-spec-validator; every problem with file and line);
2. the branch did not edit a contract it does not own, and breaking changes are listed;
3. the app's real routes match the contract's operations (deterministic, no requests);
4. schemathesis finds no non-conformance (fixed seed, bounded examples).

The agreed contract is the one at the merge base unless the role owns the contract file:
an implementer that edits the contract does not get to be checked against its own edit.
The implementation is the working tree (imported in-process, started with `start:`, or
reached at `url:`); running the branch's code is this check's purpose.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from typing import Iterator

from guard.checks.contract_spec import ContractSettings, env_vars
from guard.errors import GuardError
from guard.finding import Finding

CHECK = "contract"
_IN_PROCESS = re.compile(r"(?:--insecure )?http://(?:testserver|localhost)(?=[/'\"\s]|$)")
STOP_HINT = "stop and report to the Staff Engineer; do not improvise"
# the libraries the check drives, and the extra that installs them
NEEDS = ("schemathesis", "openapi_spec_validator")
INSTALL = "pip install 'agent-branch-guard[contract]'"


def _f(rule: str, severity: str, message: str, hint: str, path=None, line=None,
       **data) -> Finding:
    return Finding(rule, CHECK, severity, message, hint, path, line,
                   tuple(sorted((k, v) for k, v in data.items() if v is not None)))


def _reader(ctx, rev: str):
    git = ctx.git

    def read(path: str):
        return git.read_blob(rev, path)
    return read


def _need(var: str, what: str, s: ContractSettings) -> str:
    if var not in os.environ:
        raise GuardError(f"{what} uses ${{{var}}}, which is not set in the environment",
                         path=s.file, line=s.line,
                         hint=f"export {var}=... before running guard (CI: a secret)")
    return os.environ[var]


def _headers(s: ContractSettings) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The request headers, and (secret value, what to show instead) pairs for masking."""
    from guard.checks.contract.server import expand
    out, secrets = {}, []
    for name, template in s.headers:
        for var in env_vars(template):
            value = _need(var, f"guard.contract.headers.{name}", s)
            if value:
                secrets.append((value, f"${{{var}}}"))
        out[name] = expand(template, dict(os.environ))
    if s.auth and s.auth[0] == "bearer":
        token = _need(s.auth[1], "guard.contract.auth.bearer", s)
        out["Authorization"] = f"Bearer {token}"
        secrets.append((token, f"${{{s.auth[1]}}}"))
    elif s.auth and s.auth[0] == "scheme":
        token = _need(s.auth[2], "guard.contract.auth.token", s)
        out["Authorization"] = f"{s.auth[1]} {token}"
        secrets.append((token, f"${{{s.auth[2]}}}"))
    elif s.auth:
        import base64
        user = _need(s.auth[1], "guard.contract.auth.basic.username", s)
        password = _need(s.auth[2], "guard.contract.auth.basic.password", s)
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
        out["Authorization"] = f"Basic {encoded}"
        secrets.append((encoded, f"<base64 ${s.auth[1]}:${s.auth[2]}>"))
    secrets.sort(key=lambda pair: -len(pair[0]))
    return out, secrets


def _shown_headers(s: ContractSettings) -> dict[str, str]:
    """How each configured header appears in a curl line: with its ${VAR}s, so the line
    replays with the user's own environment and never shows the secret."""
    shown = {name.lower(): template for name, template in s.headers}
    if s.auth and s.auth[0] == "bearer":
        shown["authorization"] = f"Bearer ${{{s.auth[1]}}}"
    elif s.auth and s.auth[0] == "scheme":
        shown["authorization"] = f"{s.auth[1]} ${{{s.auth[2]}}}"
    elif s.auth:
        shown["authorization"] = f"Basic $(printf %s \"${s.auth[1]}:${s.auth[2]}\" | base64)"
    return shown


_FILTERED = re.compile(r"-H '([A-Za-z0-9-]+): \[Filtered\]'")


def _unfilter(curl: str, shown: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        display = shown.get(m.group(1).lower())
        return f'-H "{m.group(1)}: {display}"' if display else m.group(0)
    return _FILTERED.sub(sub, curl)


def _progress():
    if not (sys.stderr.isatty() and sys.stdout.isatty()):
        return None

    stream = sys.stderr       # the real one: an in-process app's output is redirected

    def show(label: str, phase: str, status: str) -> None:
        stream.write(f"guard contract: {label} [{phase}] {status}\n")
        stream.flush()
    return show


def run(ctx) -> Iterator[Finding]:
    s: ContractSettings | None = ctx.settings(CHECK)
    cfg_file = ctx.policy.config.file
    if s is None or not s.configured:
        why = f" ({s.path_origin})" if s is not None and s.path_origin else ""
        ctx.set_status(CHECK, "skipped", "no API contract configured (guard.contract.path "
                                         "or api.spec)")
        # never a silent pass: the skip is a finding in every report format too
        yield _f("CONTRACT001", "info",
                 f"no API contract is configured{why}: the implementation is not checked "
                 "against a contract",
                 "set guard.contract.path (or api.spec) and app:, url: or start: in "
                 "company.config.yaml", cfg_file)
        return
    _require_extra(s)
    if not hasattr(os, "fork"):         # pragma: no cover - guard's CI platforms all fork
        yield from _Run(ctx, s).run()
        return
    yield from _isolated(ctx, s)


def _isolated(ctx, s: ContractSettings) -> list[Finding]:
    """The check run in a forked child, its findings, facts and status sent back as JSON.

    The check imports the branch's app into the process that runs it, and the branch's code
    then runs there: `os._exit(0)` at import time, in guard's own process, ended guard with
    exit 0 and no report, whatever the other checks had found. In a child it ends only the
    child, and a child that ends without its result is an error here (exit 2). Its output
    goes to stderr, so nothing it prints reaches a report on stdout. JSON, never pickle:
    what comes back may have been written by the branch's code, and may at most claim
    contract findings."""
    import json

    ctx.commits()     # a log git is still writing is collected here, never in the child
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:                                          # pragma: no cover - the child
        code = 1
        try:
            os.close(read_fd)
            os.dup2(2, 1)
            try:
                found = [list(f) for f in _Run(ctx, s).run()]
                payload = {"findings": found, "facts": ctx.facts.get(CHECK),
                           "status": ctx.statuses.get(CHECK)}
            except GuardError as exc:
                payload = {"error": [exc.message, exc.path, exc.line, exc.hint]}
            except BaseException as exc:  # noqa: BLE001 - reported by the parent
                payload = {"crash": f"{type(exc).__name__}: {exc}"}
            data = json.dumps(payload, default=_jsonable).encode("utf-8", "surrogateescape")
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        data = reader.read()
    _, status = os.waitpid(pid, 0)
    try:
        payload = json.loads(data.decode("utf-8", "surrogateescape")) if status == 0 else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        code = os.waitstatus_to_exitcode(status)
        raise GuardError(f"the contract check ended without its result (exit status {code}): "
                         f"the app it imports ({s.app or 'the detected app'}) is the "
                         "branch's code, and it may have ended the process",
                         path=s.file, line=s.line,
                         hint="import the app by hand (python -c 'import ...') and see what "
                              "ends the process; an app must not exit when imported")
    if "error" in payload:
        message, path, line, hint = payload["error"]
        raise GuardError(message, path=path, line=line, hint=hint)
    if "crash" in payload:
        raise RuntimeError(f"in the contract check: {payload['crash']}")
    if payload.get("facts") is not None:
        ctx.publish(CHECK, payload["facts"])
    if payload.get("status"):
        ctx.set_status(CHECK, *payload["status"])
    return [Finding(rule, check, severity, message, hint, path, line,
                    tuple((k, _tupled(v)) for k, v in data))
            for rule, check, severity, message, hint, path, line, data in payload["findings"]]


def _jsonable(value):
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _tupled(value):
    """A finding's data as the check built it: JSON brought its tuples back as lists."""
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    if isinstance(value, dict):
        return {k: _tupled(v) for k, v in value.items()}
    return value


def _require_extra(s: ContractSettings) -> None:
    """A configured contract check without its libraries is a set-up error (exit 2), never a
    pass. Looks the modules up without importing them: the run imports them later, some in
    a helper process."""
    import importlib.util

    missing = []
    for name in NEEDS:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    if missing:
        hint = f"{INSTALL} (or skip it: guard check --skip contract)"
        if os.environ.get("PRE_COMMIT") == "1":
            # a pre-commit hook's own environment: nothing to pip-install by hand there
            hint = ("in .pre-commit-config.yaml give the guard-check hook `args: [--skip, "
                    "contract]` (the hook's environment cannot import your app), or "
                    "`additional_dependencies: ['.[sql,contract]', <your app's dependencies>]` "
                    "(docs/integrations.md, the contract check on pre-push)")
        raise GuardError(f"the contract check needs {' and '.join(missing)}, which "
                         f"{'is' if len(missing) == 1 else 'are'} not installed",
                         path=s.file, line=s.path_line, hint=hint)


class _Run:
    def __init__(self, ctx, s: ContractSettings) -> None:
        self.ctx, self.s = ctx, s
        self.detected = None          # the app found in the project, when none is configured
        self.facts: dict = {"path": s.path, "seed": s.seed, "max_examples": s.max_examples,
                            "checks": list(s.checks), "phases": list(s.phases), "timings": {}}
        self._clock = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.facts["timings"][name] = round(now - self._clock, 3)
        self._clock = now

    def run(self) -> Iterator[Finding]:
        from guard.checks.contract import spec as specmod

        # importing and running the project's app must leave nothing in its tree: no
        # __pycache__ folders from guard's imports (nor its helpers' and servers', which
        # inherit PYTHONDONTWRITEBYTECODE), as no .hypothesis/ is left either
        written = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        saved = os.environ.get("PYTHONDONTWRITEBYTECODE")
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        try:
            yield from self._run(specmod)
        finally:
            sys.dont_write_bytecode = written
            if saved is None:
                os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
            else:
                os.environ["PYTHONDONTWRITEBYTECODE"] = saved
            self.ctx.publish(CHECK, self.facts)

    def _run(self, specmod) -> Iterator[Finding]:
        ctx, s = self.ctx, self.s
        staged = ctx.mode == "staged"
        base_rev = ctx.merge_base or ctx.base
        head_rev = ":" if staged else ctx.head
        head_label = "index" if staged else f"head {ctx.head[:8]}"
        base_label = f"base {base_rev[:8]}"

        def load(rev, label):
            try:
                return specmod.load(_reader(ctx, rev), s.path, label)
            except GuardError:
                return None

        head = load(head_rev, head_label)
        base = load(base_rev, base_label) if base_rev else None
        if head is None and base is None:
            raise GuardError(f"the API contract {s.path} (from {s.path_origin}) does not "
                             "exist in the checked commits", path=s.file, line=s.path_line,
                             hint="fix the path, or commit the contract on the base branch")

        # 2. changed on the branch?
        changed = {c for ch in ctx.changes for c in ch.paths}
        contract_files = set(head.files if head else ()) | set(base.files if base else ())
        touched = sorted(contract_files & changed)
        owns = all(ctx.policy.decide(p).verdict == "owned" and
                   ctx.policy.decide(p).owned_by_role for p in touched)
        role = ctx.policy.role.title
        for path in touched:
            d = ctx.policy.decide(path)
            if d.verdict == "owned" and d.owned_by_role:
                continue
            word = "deleted" if head is None or path not in head.files else "changed"
            yield _f("CONTRACT003", "error",
                     f"the API contract file {path} was {word} on this branch, and the "
                     f"{role} does not own it",
                     f"revert it; {STOP_HINT}", path)
        agreed = head if head is not None and (base is None or (touched and owns)) else base
        self.base_contract = base
        self.lap("load")
        self.facts["agreed"] = agreed.rev_label
        self.facts["version"] = agreed.version

        with tempfile.TemporaryDirectory(prefix="guard-contract-") as tmp:
            self.tmp = tmp
            # 1. validity: the agreed contract, and the head one when it differs. Syntax and
            # $ref problems are known now; openapi-spec-validator runs in a helper process
            # in parallel with the rest, and an invalid contract still stops the check:
            # everything found meanwhile is dropped.
            checked = [agreed] + ([head] if head is not None and head is not agreed and
                                  head.files != agreed.files else [])
            early = [(c, p) for c in checked for p in c.problems]
            if early:
                yield from self._invalid(early, owns)
                return
            from guard.checks.contract import helper
            jobs = []
            try:
                for i, contract in enumerate(checked):
                    folder = os.path.join(tmp, str(i))
                    contract.write(folder)
                    jobs.append((contract, helper.start("validate", folder, contract.root,
                                                        contract.rev_label)))
                later: list[Finding] = []
                failure: BaseException | None = None
                try:
                    # 2b. breaking changes for reviewers
                    if base is not None and head is not None and touched:
                        from guard.checks.contract.diff import breaking_changes
                        for change in breaking_changes(base, head):
                            later.append(_f(
                                "CONTRACT004", "warning",
                                f"breaking contract change in {change.operation}: {change.what}",
                                "announce it to the frontend and the Staff Engineer, or keep "
                                "the old shape", change.file, change.line,
                                operation=change.operation))
                    # 2c. the api.* settings of company.config.yaml, on what the branch
                    # added or changed (the base's own departures are counted apart)
                    if s.api_style is not None:
                        from guard.checks.contract import apistyle
                        later += apistyle.findings(s.api_style, agreed, base)
                    root_file = agreed.write(os.path.join(tmp, "agreed"))
                    later += list(self._implementation(specmod, agreed, root_file))
                except GuardError:
                    raise
                except Exception as exc:      # judged below: an invalid contract explains it
                    failure = exc
                problems = []
                for contract, proc in jobs:
                    try:
                        found = helper.result(proc)
                    except RuntimeError as exc:
                        raise GuardError(f"validating the contract failed: {exc}",
                                         path=contract.root) from None
                    problems += [(contract, specmod.Problem(*p)) for p in found]
                jobs = []
            finally:
                for _, proc in jobs:
                    proc.kill()
                    proc.wait()
            self.lap("validate (wait)")
            if problems:
                for key in ("tested", "cases", "duration", "failures", "target"):
                    self.facts.pop(key, None)
                yield from self._invalid(problems, owns)
                return
            if failure is not None:
                raise failure
            yield from later

    def _invalid(self, problems, owns: bool) -> Iterator[Finding]:
        for contract, p in problems:
            yield _f("CONTRACT002", "error",
                     f"the API contract is invalid ({contract.rev_label}): {p.message}",
                     "fix the contract at that line" + ("" if owns else f", or {STOP_HINT}"),
                     p.path, p.line)
        self.ctx.set_status(CHECK, "error", "the API contract is invalid")

    # -- 3 and 4 ---------------------------------------------------------------------------
    def _implementation(self, specmod, agreed, root_file) -> Iterator[Finding]:
        ctx, s = self.ctx, self.s
        ops = specmod.operations(agreed)
        op_lines = {op.label: (op.file, op.line) for op in ops}
        self.facts["operations"] = len(ops)
        pinned: dict[str, str] = {}
        if not s.app and not s.url:
            found = yield from self._detect()
            if found is None:
                return
            s = self.s = s._replace(app=found.app, app_dir=found.app_dir)
            self.detected = found
            pinned = dict(found.env)
            self.facts["app"] = f"{found.app} (found: {found.source}, {found.where})"
        from guard.checks.contract import appenv

        folder = os.path.join(ctx.root, s.app_dir) if s.app_dir else ctx.root
        if not os.path.isdir(folder):
            raise GuardError(f"guard.contract.app_dir {s.app_dir} is not a folder in the "
                             "working tree", path=s.file, line=s.line,
                             hint="name the folder the app is imported from, relative to "
                                  "the repository root")
        added, notes = appenv.compose(ctx.root, s.app_dir, pinned, os.environ)
        if notes:
            self.facts["env_files"] = notes
        # the environment before the branch's .env files: the base run composes its own
        self.outer_env, self.pinned = dict(os.environ), pinned
        if s.app and not s.url:            # the app runs in this process
            with appenv.applied(added, folder):
                yield from self._implementation_run(specmod, agreed, root_file, ops,
                                                    op_lines, added, folder)
        else:
            yield from self._implementation_run(specmod, agreed, root_file, ops, op_lines,
                                                added, folder)

    def _detect(self):
        """The app the project names, read on the trusted base (generator: yields the
        findings, returns the Found or None)."""
        from guard.checks.contract import detect

        ctx, s = self.ctx, self.s
        base_rev = ctx.merge_base or ctx.base
        head_rev = ":" if ctx.mode == "staged" else ctx.head
        files = detect.candidate_files(s.app_dir)

        def reader(rev):
            known = ctx.git.read_blobs_at(rev, files)
            return lambda path: known[path] if path in known else ctx.git.read_blob(rev, path)
        base = detect.detect(reader(base_rev), s.app_dir) if base_rev else None
        head = detect.detect(reader(head_rev), s.app_dir) if head_rev != base_rev else base
        add = "add the line app: \"package.module:app\" to guard.contract in company.config.yaml"
        judged, label = (base, "base") if base is not None and base.found else (head, "branch")
        if head is None or judged is None or not judged.found:
            tried = (base or head).tried_text if (base or head) else "nothing"
            yield _f("CONTRACT001", "info",
                     f"the contract {s.path} is valid, but guard.contract says neither app:, "
                     f"url: nor start:, and guard found no app in the project (tried "
                     f"{tried}), so routes and conformance are not checked",
                     f"{add} (and app_dir: backend when it is imported from backend/), "
                     "or url:, or start: + url:", s.file, s.line)
            return None
        if judged.app is None:
            names = "; ".join(f"{f.app}{' in ' + f.app_dir + '/' if f.app_dir else ''} "
                              f"({f.source}, {f.where})" for f in judged.found)
            ctx.set_status(CHECK, "error", "which app to check is ambiguous")
            yield _f("CONTRACT008", "error",
                     f"guard.contract names no app and the project names {len(judged.found)} "
                     f"different ones on the {label}: {names}; guard does not guess",
                     f"add the one that serves the API, e.g. {judged.found[0].config_line}, "
                     "to guard.contract in company.config.yaml on the base branch",
                     s.file, s.line)
            return None
        found = judged.app
        if label == "branch":
            yield _f("CONTRACT001", "info",
                     f"the app {found.app} was found on the branch only ({found.source}, "
                     f"{found.where}): the base names none, so the branch chose what is checked",
                     f"pin it on the base branch: {found.config_line} in guard.contract",
                     s.file, s.line)
        elif head is not base and head.app != found:
            now = f"{head.app.app} ({head.app.source}, {head.app.where})" if head.app else \
                "no single app"
            yield _f("CONTRACT001", "info",
                     f"the branch changes where the app is: it names {now}, the base "
                     f"{found.app} ({found.source}, {found.where}); guard checks the base's",
                     "if the move is agreed, set guard.contract.app on the base branch; "
                     f"otherwise revert it", s.file, s.line)
        return found

    def _implementation_run(self, specmod, agreed, root_file, ops, op_lines, added,
                            folder) -> Iterator[Finding]:
        ctx, s = self.ctx, self.s
        if ctx.mode == "range":
            worktree = ctx.git.try_resolve("HEAD")
            if worktree != ctx.head:
                yield _f("CONTRACT008", "error",
                         f"the working tree is at {str(worktree)[:12]}, not at the checked head "
                         f"{ctx.head[:12]}: the implementation that would run is not the one "
                         "being checked",
                         f"check out {ctx.head_ref} and run guard again", s.file, s.line)
                ctx.set_status(CHECK, "error", "working tree is not at the checked head")
                return
        from guard.checks.contract import inventory, server as srv

        port, port_origin = srv.resolve_port(ctx.root, s.framework)
        self.facts["port"] = f"{port} ({port_origin})"
        app = None
        routes_job = None
        if s.app and s.url:
            # the app is only listed: import it in a helper process, in parallel with the run
            from guard.checks.contract import helper
            routes_job = helper.start("routes", ctx.root, s.app, s.app_dir, cwd=folder,
                                      env={**os.environ, **added})
        elif s.app:
            try:
                app = inventory.load_app(s.app, ctx.root, s.app_dir)
            except inventory.AppLoadError as exc:
                ctx.set_status(CHECK, "error", "the app could not be imported")
                yield self._import_error(str(exc), exc.detail)
                return
        out: list[Finding] = []
        routes = None
        base_job = self._start_base(root_file) if s.app and not s.url else None
        try:
            self.lap("app")
            out += list(self._conformance(app, root_file, agreed, op_lines, port, added,
                                          folder))
            self.lap("conformance")
            if app is not None:
                routes = ("ok", inventory.routes(app))
            elif routes_job is not None:
                from guard.checks.contract import helper
                try:
                    got = helper.result(routes_job)
                except RuntimeError as exc:
                    got = {"error": str(exc), "detail": ""}
                routes_job = None
                if "error" in got:
                    ctx.set_status(CHECK, "error", "the app could not be imported")
                    out.insert(0, self._import_error(got["error"], got.get("detail") or ""))
                else:
                    routes = ("ok", None if got["routes"] is None else [
                        inventory.Route(tuple(m), p, bool(fw), f, ln)
                        for m, p, fw, f, ln in got["routes"]])
        except BaseException:
            if base_job is not None:
                base_job.kill()
            raise
        finally:
            if routes_job is not None:
                routes_job.kill()
                routes_job.wait()
        missing_ops: set[str] = set()
        own: list = []
        if routes is None and not s.app:
            yield _f("CONTRACT001", "info",
                     "the implementation is reached by URL: guard cannot list its routes, so "
                     "implemented-but-undocumented endpoints are not checked",
                     "add app: \"package.module:app\" next to url: so guard can list the "
                     "routes", s.file, s.at("url"))
        elif routes is not None and routes[1] is None:
            yield _f("CONTRACT001", "info",
                     f"{s.app} is a plain ASGI/WSGI callable: guard cannot list its "
                     "routes, so implemented-but-undocumented endpoints are not checked",
                     "use FastAPI/Starlette, Flask or Django, or check the routes by hand",
                     s.file, s.at("app"))
        elif routes is not None:
            found_routes = routes[1]
            own = [r for r in found_routes if not r.framework]
            self.facts["routes"] = len(own)
            left_out = sorted({f"{'/'.join(r.methods).replace('*', 'ANY')} {r.path}"
                               for r in found_routes
                               if r.framework} if not s.framework_routes else ())
            if left_out:
                self.facts["framework_routes"] = left_out
                yield _f("CONTRACT001", "info",
                         f"{len(left_out)} route(s) of the framework itself (docs, schema, API "
                         f"root, admin, static) are left out of the route check: "
                         + ", ".join(left_out),
                         "set guard.contract.framework_routes: true to check them too",
                         s.file, s.at("framework_routes", "app"))
        if routes is not None and routes[1] is not None and not own and ops:
            # one root cause, one finding: not a "no route" error per operation
            yield _f("CONTRACT005", "error",
                     f"guard listed no route in the app {s.app} ({len(ops)} operations in the "
                     "contract): the app serves nothing, or guard cannot follow how it "
                     "registers its routes; the schemathesis results below still stand",
                     f"check that {s.app} is the app that serves the API; if it is, {STOP_HINT}"
                     " (guard's route listing is at fault)", s.file, s.at("app"))
        elif routes is not None and routes[1] is not None:
            gaps = inventory.compare(ops, found_routes, specmod.base_path(agreed),
                                     framework_routes=s.framework_routes,
                                     ignore=s.ignore_routes)
            for gap in gaps:
                if gap.kind == "missing":
                    missing_ops.add(f"{gap.method} {gap.path}")
            gaps, old = yield from self._inherited_gaps(gaps, specmod, agreed, base_job)
            for gap in gaps:
                if gap.kind == "missing":
                    label = f"{gap.method} {gap.path}"
                    file, line = op_lines.get(label, (agreed.root, None))
                    yield _f("CONTRACT005", "error",
                             f"{label} is in the contract but the app has no route for it",
                             "implement it, or list it under API deviations with the "
                             f"reason; if the contract is wrong, {STOP_HINT}", file, line,
                             operation=label)
                else:
                    method = "ANY" if gap.method == "*" else gap.method
                    file, line = inventory.relative_source(gap.route, ctx.root)
                    yield _f("CONTRACT006", "error",
                             f"{method} {gap.path} is served by the app but is not in the "
                             f"contract {agreed.root}",
                             "remove the route, or ask the Staff Engineer to add it to the "
                             f"contract; {STOP_HINT}", file or agreed.root, line,
                             operation=f"{method} {gap.path}")
        self.lap("inventory")
        listed = routes[1] if routes is not None else None
        out = list(self._decide(out, ops, listed, specmod.base_path(agreed), base_job))
        for f in out:
            # a missing handler is one root cause: not also its 404/405 from schemathesis.
            # Any other answer means the app does serve it: the finding stands.
            data = dict(f.data)
            if f.rule == "CONTRACT007" and data.get("operation") in missing_ops and \
                    data.get("status") in (404, 405):
                continue
            yield f

    # -- where the fix goes, and what the base already had ---------------------------------
    def _inherited_gaps(self, gaps, specmod, agreed, base_job):
        """(the branch's own route gaps, the inherited ones); yields the CONTRACT010 notes.
        The base's gaps are its own routes against its own contract, the routes from the
        base run (in-process) or, with url: or start:, from importing the base's app in a
        helper process; a gap is compared only when there is one."""
        from guard.checks.contract import decide, inventory
        ctx, s = self.ctx, self.s
        if not gaps:
            return gaps, []
        base = getattr(self, "base_contract", None)
        listed, why = None, ""
        if base is None:
            why = "the base commit has no contract"
        elif base_job is not None:
            listed, why = base_job.routes(self._late())
        else:
            listed, why = self._base_routes()
        if not why and listed is None:
            why = "its app is a plain ASGI/WSGI callable"
        base_rev = (ctx.merge_base or ctx.base or "")[:8]
        if why:
            yield _f("CONTRACT010", "info",
                     f"guard could not tell which route gaps the base commit {base_rev} "
                     f"already has: {why}; all {len(gaps)} are counted as this branch's",
                     "fix them, or fix the base so its app imports", s.file, s.line)
            return gaps, []
        base_gaps = inventory.compare(specmod.operations(base), listed,
                                      specmod.base_path(base),
                                      framework_routes=s.framework_routes,
                                      ignore=s.ignore_routes)
        own, old, reasons = decide.split_gaps(gaps, specmod.base_path(agreed), ctx.root,
                                              base_gaps, specmod.base_path(base),
                                              self.base_tree)
        if reasons:
            self.facts["gaps_not_inherited"] = dict(sorted(reasons.items()))
        if old:
            rows = tuple(sorted(("missing" if g.kind == "missing" else "undocumented",
                                 f"{'ANY' if g.method == '*' else g.method} {g.path}")
                                for g in old))
            self.facts["inherited_gaps"] = len(old)
            yield _f("CONTRACT010", "info",
                     f"{len(old)} route gap(s) are inherited from the base commit {base_rev} "
                     "(the same there; handlers not changed on this branch): "
                     + ", ".join(f"{label} ({kind})" for kind, label in rows),
                     "nothing for this branch; fix them in a change of their own, or report "
                     "them", s.file, s.at("app"), inherited=rows)
        return own, old

    def _base_routes(self):
        """The base app's routes, imported from the base's export in a helper process (url:
        and start: modes, where no base run exists): (routes, "") or (None, why)."""
        from guard.checks.contract import helper, inventory
        s = self.s
        tree = self._base_tree()
        if tree is None:
            return None, getattr(self, "base_note", "") or "there is no base commit"
        cwd = os.path.join(tree, s.app_dir) if s.app_dir else tree
        try:
            got = helper.result(helper.start("routes", tree, s.app, s.app_dir or "", cwd=cwd,
                                             env=self._base_env(tree)), timeout=120)
        except (RuntimeError, ValueError) as exc:
            return None, str(exc)
        if "error" in got:
            return None, got["error"]
        return (None if got["routes"] is None else [
            inventory.Route(tuple(m), p, bool(fw), f, ln)
            for m, p, fw, f, ln in got["routes"]]), ""

    def _base_tree(self) -> str | None:
        """The base commit's files in a temporary folder (exported once), with the working
        tree's `.env` files that the base does not commit copied in: a developer's local
        settings (database URL, secrets) are not code, and an app that reads the file
        itself (pydantic-settings' env_file) finds it as on the branch; likewise a copy of
        each local SQLite database (untracked, as it was before the branch's run). None
        when there is no base (``self.base_note`` says why)."""
        if hasattr(self, "base_tree"):
            return self.base_tree
        ctx, s = self.ctx, self.s
        self.base_tree = None
        base_rev = ctx.merge_base or ctx.base
        if not base_rev:
            self.base_note = "there is no base commit"
            return None
        from guard.checks.contract import appenv
        tree = os.path.join(self.tmp, "base-tree")
        try:
            ctx.git.export_tree(base_rev, tree)
            for rel in appenv.dotenv_files(s.app_dir):
                here, there = os.path.join(ctx.root, rel), os.path.join(tree, rel)
                if os.path.isfile(here) and not os.path.lexists(there) and \
                        os.path.isdir(os.path.dirname(there) or tree):
                    with open(here, "rb") as src, open(there, "wb") as dst:
                        dst.write(src.read())
            # the same for a local SQLite database (Django's db.sqlite3 is ignored): without
            # it the base's app answers every request with a 500 ("no such table"), which
            # is neither its real answer nor as fast. A copy: the base run writes to it.
            listing = ctx.git.run(["ls-files", "--others", "--directory", "-z"]).stdout
            untracked = [p.decode("utf-8", "surrogateescape")
                         for p in listing.split(b"\0") if p]
            copied = []
            for rel in appenv.local_databases(ctx.root, untracked):
                there = os.path.join(tree, rel)
                if not os.path.lexists(there):      # the base's own database wins
                    os.makedirs(os.path.dirname(there), exist_ok=True)   # Flask's instance/
                    appenv.copy_database(os.path.join(ctx.root, rel), there)
                    copied.append(rel)
            if copied:
                self.facts["base_databases"] = copied
        except Exception as exc:         # noqa: BLE001 - any failure: the base is unknown
            self.base_note = f"exporting it failed: {exc}"
            return None
        self.base_tree = tree
        return tree

    def _base_env(self, tree: str) -> dict[str, str]:
        """The base app's environment, composed as the branch's is, from the base's own
        `.env` files (and the local ones copied beside them), over the environment guard
        was started with: never the branch's values."""
        from guard.checks.contract import appenv
        outer = getattr(self, "outer_env", None) or dict(os.environ)
        added, notes = appenv.compose(tree, self.s.app_dir, getattr(self, "pinned", {}), outer)
        if notes:
            self.facts["base_env_files"] = notes
        return {**outer, **added}

    def _start_base(self, root_file: str):
        """Run the base commit's app on the same contract, seed and budget, in a helper
        process (its own sys.modules), while the branch's runs here. None when there is
        no base to run (the note comes later, and only when there are failures)."""
        s = self.s
        tree = self._base_tree()
        if tree is None:
            return None
        import json
        from guard.checks.contract import helper
        headers, _ = _headers(s)
        settings = dict(root=tree, app=s.app, app_dir=s.app_dir or "", spec=root_file,
                        headers=headers,
                        include=list(s.include), exclude=list(s.exclude),
                        checks=list(s.checks), phases=list(s.phases),
                        max_examples=s.max_examples, seed=s.seed)
        # the same application folder inside the base's export, the base's .env reading
        cwd = os.path.join(tree, s.app_dir) if s.app_dir else tree
        return _BaseJob(helper.Lines(helper.start("conform", cwd=cwd, env=self._base_env(tree),
                                                  stdin=json.dumps(settings).encode())))

    def _late(self) -> float:
        # it started with the branch's run: as long again, and a margin, then it is late
        return max(60.0, 2 * self.facts.get("duration", 0) + 30)

    def _base_result(self, job, ops, base_path: str):
        from guard.checks.contract import decide
        listed, why = job.routes(self._late())
        if why:
            return None, why
        try:
            got = job.result(self._late())
        except (RuntimeError, ValueError) as exc:
            return None, str(exc)
        if "error" in got:
            return None, got["error"]
        if got.get("errors"):
            return None, "schemathesis could not test it: " + got["errors"][0][1]
        failures = frozenset((op, check, status) for op, check, status in got["failures"])
        return decide.BaseRun(failures, decide.handlers(ops, listed, base_path,
                                                        self.base_tree), self.base_tree), ""

    def _decide(self, out, ops, listed, base_path: str, base_job) -> Iterator[Finding]:
        from guard.checks.contract import decide
        ctx, s = self.ctx, self.s
        failures = [f for f in out if f.rule == "CONTRACT007"]
        head_handlers = decide.handlers(ops, listed, base_path, ctx.root)
        inherited: list[Finding] = []
        if failures and base_job is not None:
            base, why = self._base_result(base_job, ops, base_path)
            self.lap("base")
            if base is None:
                note = f"its app could not be run ({why})"
            else:
                failures, inherited, reasons = decide.split(failures, base, head_handlers,
                                                            ctx.root)
                note = ""
                if reasons:
                    self.facts["not_inherited"] = dict(sorted(reasons.items()))
        else:
            if base_job is not None:         # nothing to compare: the base run is not needed
                base_job.kill()
            note = getattr(self, "base_note", "") or (
                "guard runs the base only for an in-process app (app: without url: or start:)")
        base_rev = (ctx.merge_base or ctx.base or "")[:8]
        if failures and note:
            yield _f("CONTRACT009", "info",
                     f"guard could not tell which conformance failures the base commit "
                     f"{base_rev} already has: {note}; all {len(failures)} are counted as "
                     "this branch's", "fix them, or fix the base so its app runs",
                     s.file, s.line)
        if inherited:
            listed_failures = tuple(sorted(
                (d["operation"], d["schemathesis_check"], d.get("status"),
                 f.message.partition(" — reproduce: ")[0])
                for f, d in ((f, dict(f.data)) for f in inherited)))
            ops_named = sorted({row[0] for row in listed_failures})
            self.facts["inherited"] = len(inherited)
            yield _f("CONTRACT009", "info",
                     f"{len(inherited)} conformance failure(s) are inherited from the base "
                     f"commit {base_rev} (same operation, check and status there; handlers "
                     f"not changed on this branch): {', '.join(ops_named)}",
                     "nothing for this branch; fix them in a change of their own, or report "
                     "them", s.file, s.line, inherited=listed_failures)
        kept = set(id(f) for f in failures)
        for f in out:
            if f.rule != "CONTRACT007":
                yield f
            elif id(f) in kept:
                yield self._at_handler(f, head_handlers)

    def _at_handler(self, f: Finding, head_handlers) -> Finding:
        """A conformance failure is fixed in the handler: located there when the inventory
        maps it, with the contract's line in the message, JSON data and SARIF."""
        data = dict(f.data)
        handler = head_handlers.get(data.get("operation"))
        if handler is None or not f.path:
            return f
        where = f"{f.path}:{f.line}" if f.line else f.path
        head, sep, tail = f.message.partition(" — reproduce: ")
        message = f"{head} (contract: {where}){sep}{tail}"
        data.update(contract_path=f.path, contract_line=f.line,
                    related=((f.path, f.line, "the contract's operation"),))
        return _f("CONTRACT007", f.severity, message,
                  f"fix this handler so it answers as the contract at {where} says; if the "
                  f"contract is wrong, {STOP_HINT}", handler.file, handler.line, **data)

    def _import_error(self, message: str, detail: str) -> Finding:
        s = self.s
        # one line: an exception's own newlines (real, or escaped by the helper) become " | "
        message = re.sub(r"\s*(?:\n|\\n)+\s*", " | ", message.strip())
        found = self.detected
        where = f" (found: {found.source}, {found.where})" if found else ""
        folder = f"{s.app_dir}/" if s.app_dir else "the repository root"
        return _f("CONTRACT008", "error",
                  f"the app {s.app}{where} could not be imported: {message}"
                  + (f" | {detail.splitlines()[-1]}" if detail else ""),
                  "fix the import error (run `python -c \"import "
                  f"{s.app.split(':')[0]}\"` in {folder} to see it), then run guard again"
                  + (f"; if guard found the wrong app, add app: to guard.contract"
                     if found else ""), s.file, s.at("app"), output=detail or None)

    def _conformance(self, app, root_file, agreed, op_lines, port, added=None, folder=None):
        ctx, s = self.ctx, self.s
        from guard.checks.contract import runner, server as srv

        headers, secrets = _headers(s)
        shown = _shown_headers(s)
        values = dict(os.environ)
        values.update({"API_PORT": str(port), "PORT": str(port)})
        url = srv.expand(s.url, values) if s.url else None
        kwargs = dict(headers=headers, include=s.include, exclude=s.exclude, checks=s.checks,
                      phases=s.phases, max_examples=s.max_examples, seed=s.seed,
                      progress=_progress())
        self.facts["target"] = url if url else f"{s.app} (in-process)"
        try:
            if s.start:
                env = dict(os.environ)
                env.update(added or {})
                env.update({"API_PORT": str(port), "PORT": str(port)})
                argv = [srv.expand(a, values) for a in s.start]
                with srv.Server(argv, url, cwd=folder or ctx.root, env=env,
                                timeout=s.startup_timeout) as server:
                    result = runner.run(root_file, base_url=url, **kwargs)
                    if server.proc is not None and server.proc.poll() is not None:
                        result.errors.append(("", "the server exited during the run "
                                                  f"(code {server.proc.returncode}): "
                                                  + server.output(3).replace("\n", " | ")))
            elif url:                  # a running server; app:, if given, listed the routes
                result = runner.run(root_file, base_url=url, **kwargs)
            else:
                result = runner.run(root_file, app=app, **kwargs)
        except srv.ServerError as exc:
            ctx.set_status(CHECK, "error", "the server did not come up")
            last = exc.output.strip().splitlines()[-1] if exc.output.strip() else "no output"
            yield _f("CONTRACT008", "error",
                     f"{exc} (start: {' '.join(s.start)}); its last output: {last}",
                     "run the start command by hand in the repository root and fix it; the "
                     "port comes from API_PORT/PORT in .env, else .env.example",
                     s.file, s.at("start"), output=exc.output or None)
            return
        self.facts.update(tested=result.operations, cases=result.cases,
                          duration=round(result.duration, 3),
                          failures=len(result.failures))
        local = f"http://127.0.0.1:{port}"
        for fail in result.failures:
            curl = fail.curl
            if not url:                              # in-process: the URL the app would serve
                curl = _IN_PROCESS.sub(local, curl)
            for value, template in secrets:
                curl = curl.replace(value, template)
            curl = _unfilter(curl, shown)
            file, line = op_lines.get(fail.operation, (agreed.root, None))
            status = f" (status {fail.status})" if fail.status is not None else ""
            replay = None
            if not url and fail.case:
                # in-process: nothing listens at the curl line's URL once guard exits; this
                # command imports the app and sends the same request again
                from guard.checks.contract.replay import command
                replay = command(s.app, s.path, fail.operation, fail.check, fail.case, shown)
            yield _f("CONTRACT007", "error",
                     f"{fail.operation}: {fail.check}: {fail.message}{status} — reproduce: "
                     f"{replay or curl}",
                     "make the implementation match the contract at this line; if the "
                     f"contract is wrong, {STOP_HINT}", file, line,
                     operation=fail.operation, schemathesis_check=fail.check,
                     status=fail.status, curl=curl, replay=replay)
        for label, message in result.errors:
            where = f"{label}: " if label else ""
            yield _f("CONTRACT008", "error",
                     f"schemathesis could not test {where or 'the API: '}{message}",
                     "make the server reachable and the operation testable; this is not a "
                     "pass", *(op_lines.get(label, (agreed.root, None))))
        if result.errors and not result.failures:
            ctx.set_status(CHECK, "error", "schemathesis could not run")
        if result.operations == 0 and not result.errors:
            ctx.set_status(CHECK, "error", "no operation was tested")
            yield _f("CONTRACT008", "error",
                     "schemathesis tested no operation (the contract has none, or "
                     "guard.contract.include/exclude leave none)",
                     "check guard.contract.include and exclude", s.file,
                     s.at("include", "exclude"))


class _BaseJob:
    """The base commit's run in its helper process: its routes (the first line, as soon as
    its app is imported), then its conformance failures."""

    def __init__(self, lines) -> None:
        self.lines = lines
        self._first = None

    def routes(self, timeout: float):
        """(the base's routes or None for a plain callable, "") or (None, why it failed)."""
        from guard.checks.contract import inventory
        if self._first is None:
            try:
                self._first = self.lines.next(timeout)
            except (RuntimeError, ValueError) as exc:
                self._first = {"error": str(exc)}
        got = self._first
        if "error" in got:
            return None, got["error"]
        listed = None if got["routes"] is None else [
            inventory.Route(tuple(m), p, bool(fw), f, ln) for m, p, fw, f, ln in got["routes"]]
        return listed, ""

    def result(self, timeout: float) -> dict:
        got = self.lines.next(timeout)
        self.lines.proc.wait()
        return got

    def kill(self) -> None:
        self.lines.kill()
