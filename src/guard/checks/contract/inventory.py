"""The app's real routes, read from the app object (no requests), diffed with the contract's
operations by path shape: `/items/{id}` equals `/items/<int:item_id>` equals `items/<int:pk>/`.
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
import os
import re
import sys
import traceback
from dataclasses import dataclass

IGNORED_METHODS = {"HEAD", "OPTIONS"}
ALL_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]     # ("*",) when the framework does not declare them (Django)
    path: str                    # as the framework writes it
    framework: bool = False      # docs, openapi.json, static, admin
    file: str | None = None      # the handler's source file and line, when known
    line: int | None = None

    @property
    def shape(self) -> str:
        return shape(self.path)


class AppLoadError(Exception):
    """The app could not be imported; ``detail`` is the last lines of the traceback."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


_PARAM = re.compile(r"\{[^}/]*\}|<[^>/]*>|\(\?P<[^>]+>[^)]*\)|:[A-Za-z_]\w*")


def shape(path: str) -> str:
    """Path template → comparable shape: every parameter becomes `{}`, no trailing slash."""
    p = path.strip()
    p = p.lstrip("^").rstrip("$")
    p = _PARAM.sub("{}", p)
    if not p.startswith("/"):
        p = "/" + p
    if len(p) > 1:
        p = p.rstrip("/")
    return re.sub(r"/+", "/", p)


def _flush() -> None:
    for stream in {id(x): x for x in (sys.stdout, sys.__stdout__) if x is not None}.values():
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


@contextlib.contextmanager
def app_stdout_silenced():
    """While the app runs in guard's process, file descriptor 1 goes to /dev/null: its
    prints, and logging handlers that kept the real stdout at import (SQLAlchemy's echo),
    never reach guard's report. Python-level writes are caught as well."""
    _flush()
    try:
        saved = os.dup(1)
    except OSError:          # no stdout at all: nothing to protect
        saved = None
    if saved is not None:
        sink = os.open(os.devnull, os.O_WRONLY)
        os.dup2(sink, 1)
        os.close(sink)
    try:
        with open(os.devnull, "w", encoding="utf-8") as null, \
                contextlib.redirect_stdout(null):
            yield
    finally:
        _flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def load_app(spec: str, root: str, app_dir: str = ""):
    with app_stdout_silenced():
        return _load_app(spec, root, app_dir)


def _split_call(attr: str) -> tuple[str, tuple | None]:
    """`create_app` -> (name, None); `create_app()` / `create_app('dev', x=1)` -> (name,
    (args, kwargs)), literal arguments only (as `flask --app` takes them)."""
    if not attr.endswith(")") or "(" not in attr:
        return attr, None
    import ast
    name = attr[:attr.index("(")]
    try:
        call = ast.parse(attr, mode="eval").body
        if not isinstance(call, ast.Call):
            raise ValueError
        args = tuple(ast.literal_eval(a) for a in call.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (SyntaxError, ValueError):
        raise AppLoadError(f"{attr!r}: only literal arguments can be passed to the app "
                           "factory") from None
    return name, (args, kwargs)


def _load_app(spec: str, root: str, app_dir: str = ""):
    """Import ``module:attr`` (or ``module:factory()``) with the application folder (the
    repository root, or ``app_dir`` inside it) first on sys.path and as the working
    directory, as uvicorn does. The branch's code runs here: that is the check's purpose."""
    module_name, _, attr = spec.partition(":")
    attr, call = _split_call(attr)
    folder = os.path.join(root, app_dir) if app_dir else root
    if folder not in sys.path:
        sys.path.insert(0, folder)
    cwd = os.getcwd()
    try:
        os.chdir(folder)
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:   # the app's own import error, reported as what it is
            raise AppLoadError(f"importing {module_name} failed: {type(exc).__name__}: {exc}",
                               _tail(exc)) from None
        except SystemExit as exc:
            raise AppLoadError(f"importing {module_name} called sys.exit({exc.code})") from None
        obj = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise AppLoadError(f"{module_name} has no attribute {attr!r}")
            obj = getattr(obj, part)
        if call is not None:
            try:
                obj = obj(*call[0], **call[1])
            except Exception as exc:
                raise AppLoadError(f"calling {module_name}:{attr}() failed: "
                                   f"{type(exc).__name__}: {exc}", _tail(exc)) from None
        if not callable(obj):
            raise AppLoadError(f"{spec} is a {type(obj).__name__}, not an ASGI or WSGI app")
        return obj
    finally:
        os.chdir(cwd)


def _tail(exc: BaseException, lines: int = 12) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _source(func) -> tuple[str | None, int | None]:
    import inspect
    func = getattr(func, "view_class", None) or func
    try:
        func = inspect.unwrap(func)
        file = inspect.getsourcefile(func)
        line = inspect.getsourcelines(func)[1]
    except (TypeError, OSError, ValueError):
        return None, None
    return (os.path.abspath(file) if file else None), line


def relative_source(route: Route, root: str) -> tuple[str | None, int | None]:
    """The handler's location relative to the repository, or (None, None) outside it."""
    if not route.file:
        return None, None
    rel = os.path.relpath(route.file, os.path.realpath(root))
    if rel.startswith(".."):
        rel = os.path.relpath(route.file, root)
    if rel.startswith(".."):
        return None, None
    return rel.replace(os.sep, "/"), route.line


def routes(app) -> list[Route] | None:
    """The app's routes, or None when the framework is not recognised (a plain callable)."""
    mod = type(app).__module__ or ""
    if hasattr(app, "url_map") and hasattr(app.url_map, "iter_rules"):
        return _flask(app)
    if mod.startswith("django."):
        return _django()
    if hasattr(app, "routes") and (mod.startswith(("fastapi", "starlette")) or
                                   isinstance(getattr(app, "routes", None), list)):
        return _starlette(app)
    return None


def _flask(app) -> list[Route]:
    out = []
    static = app.static_url_path
    for rule in app.url_map.iter_rules():
        methods = tuple(sorted(m for m in (rule.methods or ()) if m not in IGNORED_METHODS))
        framework = rule.endpoint == "static" or rule.endpoint.endswith(".static") or \
            bool(static and rule.rule.startswith(static + "/")) or \
            rule.endpoint.startswith("api-docs.")      # flask-smorest's openapi/redoc/...
        out.append(Route(methods, rule.rule, framework,
                         *_source(app.view_functions.get(rule.endpoint))))
    return out


def _docs_paths(app, prefix: str) -> set[str]:
    """A FastAPI app's own documentation and schema routes (`/docs`, `/redoc`, ...)."""
    docs = {getattr(app, name, None) for name in ("openapi_url", "docs_url", "redoc_url",
                                                   "swagger_ui_oauth2_redirect_url")}
    return {prefix + d for d in docs if isinstance(d, str)}


def _children(route):
    """The routes under one entry of `app.routes`. FastAPI >= 0.16x keeps an included
    router as one object without `.path`; its `effective_route_contexts()` lists the
    routes with their full paths (prefixes of nested includes applied)."""
    contexts = getattr(route, "effective_route_contexts", None)
    if getattr(route, "path", None) is None and callable(contexts):
        return list(contexts())
    return None


def _starlette(app, prefix: str = "", docs: set[str] | None = None) -> list[Route]:
    out: list[Route] = []
    docs = set(docs or ()) | _docs_paths(app, prefix)
    for route in getattr(app, "routes", None) or []:
        included = _children(route)
        if included is not None:
            for ctx in included:
                out += _one(ctx, prefix, docs)
            continue
        out += _one(route, prefix, docs)
    return out


def _one(route, prefix: str, docs: set[str]) -> list[Route]:
    path = getattr(route, "path", None)
    if path is None:
        return []
    full = prefix + path
    methods = getattr(route, "methods", None)
    inner = getattr(route, "app", None)
    if methods is None and (getattr(route, "routes", None) is not None or
                            hasattr(inner, "routes")):          # Mount / sub-application
        if type(inner).__name__ == "StaticFiles":
            return [Route(("GET",), full + "/{path}", True)]
        target = inner if hasattr(inner, "routes") else route
        return _starlette(target, full, docs)
    if methods is None:           # websocket routes, bare endpoints
        if "WebSocket" in type(route).__name__ or "WebSocket" in type(
                getattr(route, "original_route", None)).__name__:
            return []
        if type(inner).__name__ == "StaticFiles":
            return [Route(("GET",), full + "/{path}", True)]
        methods = ("*",)
    methods = tuple(sorted(m for m in methods if m not in IGNORED_METHODS)) or ("GET",)
    return [Route(methods, full, full in docs, *_source(getattr(route, "endpoint", None)))]


# drf's format_suffix_patterns and DefaultRouter add `\.(?P<format>[a-z0-9]+)/?$` twins
_FORMAT_SUFFIX = re.compile(r"(?:\\?\.\(\?P<format>[^)]*\)|<drf_format_suffix:format>)"
                            r"(?:/\?|/)?$")
_FRAMEWORK_VIEWS = ("drf_spectacular.", "rest_framework.schemas", "rest_framework.routers",
                    "django.contrib.", "django.views.static", "django.views.generic.base")


def _regex_text(text: str) -> str:
    text = text.lstrip("^").rstrip("$").replace("\\Z", "")
    if text.endswith("/?"):
        text = text[:-2] + "/"
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)     # (?P<pk>[^/.]+) -> {pk}
    return re.sub(r"\\([./-])", r"\1", text)


def _django_methods(view, cls) -> tuple[str, ...]:
    actions = getattr(view, "actions", None)       # a DRF ViewSet bound by a router
    if isinstance(actions, dict) and actions:
        return tuple(sorted(m.upper() for m in actions if m.upper() not in IGNORED_METHODS))
    if cls is not None and hasattr(cls, "http_method_names"):
        return tuple(sorted(m.upper() for m in cls.http_method_names
                            if hasattr(cls, m) and m.upper() not in IGNORED_METHODS))
    allowed = getattr(view, "_guard_methods", None)
    return tuple(allowed) if allowed else ("*",)


def _django_source(view, cls):
    """The view method that answers (a ViewSet's action, an APIView's get/post, ...), else
    the view's class when it is the project's."""
    if cls is not None:
        names = list((getattr(view, "actions", None) or {}).values()) + [
            m for m in getattr(cls, "http_method_names", ()) if m not in ("head", "options")]
        for name in names:
            func = cls.__dict__.get(name) or next(
                (k.__dict__[name] for k in cls.__mro__ if name in k.__dict__), None)
            if func is not None and not (getattr(func, "__module__", "") or "").startswith(
                    ("django.", "rest_framework.")):
                found = _source(func)
                if found[0]:
                    return found
        # a ModelViewSet's actions are DRF's mixins: the project's class is the handler
        # (its queryset, serializer, permissions), not the wrapper as_view() returns
        if not (getattr(cls, "__module__", "") or "").startswith(("django.", "rest_framework.")):
            found = _source(cls)
            if found[0]:
                return found
    return _source(view)


def _django() -> list[Route]:
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    out: list[Route] = []

    def walk(patterns, prefix: str, framework: bool) -> None:
        for p in patterns:
            text = str(p.pattern)
            if _FORMAT_SUFFIX.search(text.rstrip("$").replace("\\Z", "")):
                continue              # the `.json` twin of a route listed anyway
            if type(p.pattern).__name__ == "RegexPattern":
                text = _regex_text(text)
            if isinstance(p, URLResolver):
                app_name = getattr(p, "app_name", None) or ""
                walk(p.url_patterns, prefix + text,
                     framework or app_name in ("admin", "rest_framework") or
                     text.startswith("admin/"))
            elif isinstance(p, URLPattern):
                view = p.callback
                cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
                module = (getattr(cls or view, "__module__", "") or "")
                own = framework or getattr(p, "name", None) == "api-root" or \
                    module.startswith(_FRAMEWORK_VIEWS)
                out.append(Route(_django_methods(view, cls), prefix + text, own,
                                 *_django_source(view, cls)))

    walk(get_resolver().url_patterns, "/", False)
    return out


@dataclass(frozen=True)
class Gap:
    kind: str           # "missing" | "undocumented"
    method: str
    path: str           # contract path (missing) or framework path (undocumented)
    route: Route | None = None


def _matches(patterns, method: str, path: str) -> bool:
    for pat in patterns:
        pm, _, pp = pat.partition(" ")
        if (pm == "*" or pm == method) and (fnmatch.fnmatchcase(path, pp) or
                                            shape(path) == shape(pp)):
            return True
    return False


def compare(ops, app_routes: list[Route], base_path: str, *, framework_routes: bool,
            ignore: tuple[str, ...] = ()) -> list[Gap]:
    served: dict[str, set[str]] = {}
    for r in app_routes:
        if r.framework and not framework_routes:
            continue
        served.setdefault(r.shape, set()).update(r.methods)
    documented: dict[str, set[str]] = {}
    gaps: list[Gap] = []
    for op in ops:
        s = shape(base_path + op.path)
        documented.setdefault(s, set()).add(op.method)
        methods = served.get(s, set())
        if op.method in methods or "*" in methods or (op.method in IGNORED_METHODS and methods):
            continue
        if _matches(ignore, op.method, op.path):
            continue
        gaps.append(Gap("missing", op.method, op.path))
    for r in app_routes:
        if r.framework and not framework_routes:
            continue
        doc = documented.get(r.shape, set())
        for m in r.methods:
            if m == "*":
                if doc:
                    continue
                m = "*"
            elif m in doc:
                continue
            if _matches(ignore, m, r.path):
                continue
            gaps.append(Gap("undocumented", m, r.path, r))
    seen, out = set(), []
    for g in gaps:
        if g not in seen:
            seen.add(g)
            out.append(g)
    return out
