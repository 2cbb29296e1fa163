"""The one module that imports schemathesis (4.x, minor version pinned in pyproject.toml:
`schemathesis.engine` is not public API and moves between releases).

Runs the engine the way `schemathesis run` does — examples, coverage and fuzzing phases,
the configured checks, a fixed seed and a bounded example budget — with an explicit config
(a user's schemathesis.toml and $SCHEMATHESIS_HOOKS never change guard's run), no cache,
an example database in memory, and hypothesis' storage in a temp folder, so nothing is left
in the checked repository; and the examples are those the CLI draws for the same seed.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Failure:
    operation: str        # "GET /items/{item_id}"
    check: str            # schemathesis check name
    title: str
    message: str
    status: int | None
    curl: str
    key: str              # root-cause key for de-duplication
    case: str = ""        # the request as JSON (path_parameters, query, ...), for a replay


@dataclass
class Result:
    failures: list[Failure] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)   # (operation or "", message)
    operations: int = 0          # distinct operations tested
    cases: int = 0               # requests sent
    duration: float = 0.0
    stop_reason: str = ""


@contextlib.contextmanager
def _no_probes_in_process(in_process: bool):
    """schemathesis 4.32 probes the server before the tests (a NUL byte in a header; a
    backslash and control characters in a path) and, when a probe fails, stops generating
    what it sent. In guard's process there is no server: the probes go to the schema's
    file:// base URL and fail with requests' InvalidSchema, which schemathesis reads as the
    app rejecting that input, so every such character in a path was sent as `_` where
    `schemathesis run` against a server keeps it (the FastAPI template's password-recovery
    path never got its NUL byte, and its 500 went unseen in-process). An app called directly
    receives whatever is sent: in-process there are no probes, as schemathesis itself skips
    them for a base URL without a scheme. Best effort: left alone if the module moved."""
    if not in_process:
        yield
        return
    try:
        from schemathesis.engine.run import probes
        saved = probes.PROBES
    except (ImportError, AttributeError):
        yield
        return
    probes.PROBES = ()
    try:
        yield
    finally:
        probes.PROBES = saved


@contextlib.contextmanager
def _cli_constants():
    """hypothesis mixes constants from "local" modules (any file outside site-packages and
    the standard library) into generated data, gathered again whenever a module is imported.
    In `schemathesis run`'s process the one local module is its console script (`bin/
    schemathesis`, as pip and uv write it), whose one constant is "__main__". In guard's
    process they are guard itself (when installed from a checkout) and the in-process app,
    whose modules Django and Flask import at the first request (URLconf, views,
    serializers): the DRF tutorial added 23 strings ("users", "id", ...) mid-run, so the same
    seed drew other examples than the CLI (GET /users/?page= failed negative_data_rejection
    for guard only). For the run, the pool is the CLI's, and fixed. Best effort: private
    hypothesis state, left alone if it moved."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants

        before = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE.cache
        strings = type(providers._local_constants.strings)(["__main__"])
        fixed = Constants(integers=type(providers._local_constants.integers)(),
                          floats=type(providers._local_constants.floats)(
                              key=providers._local_constants.floats.key),
                          bytes=type(providers._local_constants.bytes)(), strings=strings)
    except (ImportError, AttributeError, TypeError):
        yield
        return
    providers._get_local_constants = lambda: fixed
    cache.clear()                   # the allowed constants, cached from the pool before
    try:
        yield
    finally:
        providers._get_local_constants = before
        cache.clear()


def _regex(patterns) -> str:
    parts = []
    for pat in patterns:
        method, _, path = pat.partition(" ")
        m = "[A-Z]+" if method == "*" else re.escape(method)
        parts.append(f"(?:{m} {fnmatch.translate(path)})")
    return "^(?:" + "|".join(parts) + ")"


def _first_line(text: str) -> str:
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _text(response) -> str:
    if response is None:
        return ""
    raw = getattr(response, "content", None)
    if isinstance(raw, bytes):
        text = raw[:4000].decode("utf-8", "replace")
    else:
        text = str(getattr(response, "text", "") or "")[:4000]
    if "<" in text and ">" in text:          # an HTML error page: its title, without tags
        title = re.search(r"<title>(.*?)</title>", text, re.S | re.I)
        text = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
    return text.strip()


def _message(failure) -> str:
    lines = [ln.strip() for ln in (failure.message or "").strip().splitlines() if ln.strip()]
    if not lines:
        return failure.title
    # keep the first, informative lines; drop the schema dump schemathesis appends
    out = []
    for ln in lines:
        if ln.startswith(("Schema", "Value:", "Validated against")) and out:
            break
        out.append(ln)
        if len(" ".join(out)) > 160:
            break
    text = " ".join(out)
    return text if len(text) <= 240 else text[:237] + "..."


class _Sink(io.StringIO):
    """Keeps the last output of an in-process app (its logs, prints) out of guard's."""

    def write(self, text):
        if self.tell() > 200_000:
            self.seek(0)
            self.truncate()
        return super().write(text)


_APP_OUTPUT = _Sink()


def _case_json(case, configured: dict[str, str]) -> str:
    """The generated request, as `replay` takes it: JSON, or "" when it is not JSON-able
    (a binary body). Configured headers (secrets) are left out: the replay adds them."""
    if case is None:
        return ""
    import json
    from schemathesis.core import NOT_SET
    skip = {name.lower() for name in configured}
    parts = {"path_parameters": case.path_parameters or None, "query": case.query or None,
             "headers": {k: v for k, v in (case.headers or {}).items()
                         if k.lower() not in skip} or None,
             "cookies": case.cookies or None, "media_type": case.media_type}
    if case.body is not NOT_SET:
        parts["body"] = case.body
    try:
        return json.dumps({k: v for k, v in parts.items() if v is not None}, sort_keys=True)
    except (TypeError, ValueError):
        return ""


def replay(spec_file: str, app, label: str, case_json: str, check: str,
           headers: dict[str, str]) -> tuple[int | None, str]:
    """Send one recorded request to the in-process app and run one check on the answer:
    (the status, "" when it conforms, else the failure's message)."""
    import json
    import schemathesis
    from schemathesis.checks import CHECKS, load_all_checks
    from schemathesis.config import CacheConfig

    cfg = schemathesis.Config(seed=0, cache=CacheConfig(enabled=False))
    cfg.projects.default.update(headers=headers or None)
    schema = schemathesis.openapi.from_path(spec_file, config=cfg)
    schema.app = as_server(app)
    operation = schema.find_operation_by_label(label)
    if operation is None:
        raise LookupError(f"the contract {spec_file} has no operation {label}")
    load_all_checks()
    case = operation.Case(**json.loads(case_json or "{}"))
    with contextlib.redirect_stdout(_APP_OUTPUT), contextlib.redirect_stderr(_APP_OUTPUT):
        response = case.call(headers=headers or None)
        try:
            case.validate_response(response, checks=CHECKS.get_by_names([check]),
                                   headers=headers or None)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # FailureGroup is a BaseExceptionGroup: the failure
            failures = getattr(exc, "exceptions", None) or [exc]
            return response.status_code, " | ".join(
                _message(f) if hasattr(f, "title") else str(f) for f in failures)
    return response.status_code, ""


def as_server(app):
    """Wrap an in-process app so an exception it raises reaches schemathesis as what a real
    server sends the client — a 500 — instead of aborting the test case."""
    import inspect

    is_asgi = inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(
        getattr(app, "__call__", None))
    if is_asgi:
        async def asgi(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            started = False

            async def tracking_send(message):
                nonlocal started
                if message.get("type") == "http.response.start":
                    started = True
                await send(message)
            try:
                await app(scope, receive, tracking_send)
            except Exception as exc:     # the app's own crash: a 500 for the client
                if not started:
                    await send({"type": "http.response.start", "status": 500,
                                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                    await send({"type": "http.response.body",
                                "body": f"{type(exc).__name__}: {exc}".encode()})
        return asgi

    def wsgi(environ, start_response):
        environ["wsgi.errors"] = _APP_OUTPUT      # the app's error log stays out of guard's
        try:
            return list(app(environ, start_response))
        except Exception as exc:         # the app's own crash: a 500 for the client
            # no exc_info: werkzeug's test client (which schemathesis runs the app under)
            # re-raises any exc_info it is given, even before a byte is sent, so a Flask
            # app with PROPAGATE_EXCEPTIONS would abort the case instead of answering 500
            start_response("500 Internal Server Error",
                           [("Content-Type", "text/plain; charset=utf-8")])
            return [f"{type(exc).__name__}: {exc}".encode()]
    return wsgi


def run(spec_file: str, *, app=None, base_url: str | None = None,
        headers: dict[str, str] | None = None, include=(), exclude=(), checks=(),
        phases=(), max_examples: int = 25, seed: int = 0,
        progress: Callable[[str, str, str], None] | None = None) -> Result:
    home = tempfile.mkdtemp(prefix="guard-hypothesis-")
    old_env = os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = home
    # an explicit config keeps schemathesis.toml out, but schemathesis still imports
    # $SCHEMATHESIS_HOOKS when its project config is built (4.32): hide it for the run
    user_hooks = os.environ.pop("SCHEMATHESIS_HOOKS", None)
    try:
        import hypothesis.configuration as hconf
        previous_home = getattr(hconf, "__hypothesis_home_directory", None)
        hconf.set_hypothesis_home_dir(home)
        # the examples the CLI draws for the seed (see the two context managers)
        quiet = contextlib.ExitStack()
        quiet.enter_context(_cli_constants())
        quiet.enter_context(_no_probes_in_process(app is not None))
        if app is not None:       # the app runs in this process: its prints and logs too
            from guard.checks.contract.inventory import app_stdout_silenced
            quiet.enter_context(app_stdout_silenced())
            quiet.enter_context(contextlib.redirect_stdout(_APP_OUTPUT))
            quiet.enter_context(contextlib.redirect_stderr(_APP_OUTPUT))
        try:
            with quiet:
                return _run(spec_file, app=app, base_url=base_url, headers=headers or {},
                            include=include, exclude=exclude, checks=checks, phases=phases,
                            max_examples=max_examples, seed=seed, progress=progress)
        finally:
            hconf.set_hypothesis_home_dir(previous_home)
    finally:
        if user_hooks is not None:
            os.environ["SCHEMATHESIS_HOOKS"] = user_hooks
        if old_env is None:
            os.environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
        else:
            os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = old_env
        shutil.rmtree(home, ignore_errors=True)


def _run(spec_file, *, app, base_url, headers, include, exclude, checks, phases,
         max_examples, seed, progress) -> Result:
    import schemathesis
    from schemathesis.config import CacheConfig
    from schemathesis.engine import events, from_schema

    cfg = schemathesis.Config(seed=seed, cache=CacheConfig(enabled=False))
    project = cfg.projects.default
    # an example database in memory, empty at the start, as a fresh `schemathesis run`'s
    # .hypothesis/ is: with none ("none") hypothesis drops its reuse phase and draws other
    # examples from the same seed (on the DRF tutorial 175 of 6,639 requests differed)
    project.generation.update(max_examples=max_examples, database=":memory:")
    project.phases.update(phases=list(phases))
    project.checks.update(included_check_names=list(checks))
    project.update(continue_on_failure=True, headers=headers or None,
                   base_url=base_url)
    # schemathesis mines an in-process app's code for constants to draw (4.32: the app's
    # routes, or the module of whatever callable it is given: guard's own wrapper below),
    # which `schemathesis run` against a server never has: other examples in-process than
    # with url:, for the same seed. Off, so both modes send what the CLI sends.
    from schemathesis.config import AnalysisConfig, ConstantsConfig
    project.analysis = AnalysisConfig(constants=ConstantsConfig(enabled=False))
    schema = schemathesis.openapi.from_path(spec_file, config=cfg)
    if app is not None:
        schema.app = as_server(app)
    if include:
        schema = schema.include(name_regex=_regex(include))
    if exclude:
        schema = schema.exclude(name_regex=_regex(exclude))

    result = Result()
    seen: dict[tuple, Failure] = {}
    tested: set[str] = set()
    started = time.perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            label = recorder.label
            tested.add(label)
            result.cases += len(recorder.interactions)
            failed = False
            for case_id, nodes in recorder.checks.items():
                for node in nodes:
                    info = node.failure_info
                    if info is None:
                        continue
                    failed = True
                    failure = info.failure
                    interaction = recorder.interactions.get(case_id)
                    response = getattr(interaction, "response", None) if interaction else None
                    status = getattr(response, "status_code", None)
                    unique = getattr(failure, "_unique_key", None)
                    if unique is None:
                        unique = _first_line(failure.message)
                    # the status is part of the key: an undocumented 404 is not the same
                    # failure as an undocumented 422 (schemathesis's own key merges them)
                    key = (label, node.name, type(failure).__name__, str(unique), str(status))
                    if key in seen:
                        continue
                    message = _message(failure)
                    if node.name == "not_a_server_error":
                        body = _first_line(_text(response))
                        if body:
                            message = f"{message}: {body[:160]}"
                    node_case = recorder.cases.get(case_id)
                    seen[key] = Failure(label, node.name, failure.title or node.name,
                                        message, status,
                                        _first_line(info.code_sample or ""), "|".join(key),
                                        _case_json(getattr(node_case, "value", None),
                                                   headers))
            if progress is not None:
                phase = getattr(getattr(event, "phase", None), "value", "")
                progress(label, phase, "failed" if failed else str(
                    getattr(event.status, "value", event.status)))
        elif isinstance(event, events.NonFatalError):
            info = event.info
            title = getattr(info, "title", "") or type(event.value).__name__
            message = _first_line(getattr(info, "message", "") or str(event.value))
            result.errors.append((event.label or "", f"{title}: {message}" if message
                                  else title))
        elif isinstance(event, events.FatalError):
            exc = getattr(event, "exception", None)
            result.errors.append(("", f"{type(exc).__name__}: {_first_line(str(exc))}"
                                  if exc else "schemathesis stopped with a fatal error"))
        elif isinstance(event, events.EngineFinished):
            result.stop_reason = str(getattr(event.stop_reason, "value", event.stop_reason))
    result.duration = time.perf_counter() - started
    result.operations = len(tested)
    # one root cause, one finding: a 500 is also an undocumented status and a response that
    # matches no schema; keep the server error
    crashed = {(f.operation, f.status) for f in seen.values() if f.check == "not_a_server_error"}
    kept = [f for f in seen.values() if f.check == "not_a_server_error" or
            (f.operation, f.status) not in crashed]
    # the same failure found by several cases (different keys, same words) is one finding
    single: dict[tuple, Failure] = {}
    for f in sorted(kept, key=lambda f: (f.operation, f.check, f.message, f.curl)):
        single.setdefault((f.operation, f.check, f.message, f.status), f)
    result.failures = list(single.values())
    result.errors = list(dict.fromkeys(result.errors))
    return result
