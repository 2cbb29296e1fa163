"""Where the app is, when `guard.contract` names none: read from what the project already
says (standard library only; nothing is imported or run here).

In order of strength, in the application folder (`contract.app_dir`, else the repository
root and `backend/`):

1. declared: `FLASK_APP` in `.env` / `.flaskenv`; `manage.py`'s `DJANGO_SETTINGS_MODULE`
   (the settings' `WSGI_APPLICATION`, else `<project>.wsgi:application`, else Django's
   own handler, as runserver does); an ASGI/WSGI
   server command (`uvicorn`, `gunicorn`, `hypercorn`, `daphne`, `granian`, `fastapi run`)
   in `pyproject.toml` or `Procfile`; a `[project.scripts]` entry whose function calls
   `uvicorn.run(...)`;
2. `wsgi.py` / `asgi.py` with a module-level `application` or `app`;
3. a FastAPI / Flask / Starlette app (or a `create_app` factory) at a conventional place:
   `app/main.py`, `main.py`, `app.py`.

The strongest level that finds anything decides; two different apps at that level are
ambiguous, never a guess. The caller passes a reader of the trusted base commit: the
checked branch does not get to choose which app is checked (see docs/contract.md).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable

from guard.checks.contract import envfile

Reader = Callable[[str], "bytes | None"]

APP_DIRS = ("", "backend")
CONVENTIONAL = ("app/main.py", "main.py", "app.py")
FRAMEWORK_CLASSES = {"FastAPI", "Flask", "Starlette", "APIFlask", "Quart"}
_SERVER_CMD = re.compile(r"\b(?P<server>uvicorn|gunicorn|hypercorn|daphne|granian)\b"
                         r"(?!\.)(?P<rest>[^\"'\n]*)")
_TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*(?:\(\))?")
_FASTAPI_CMD = re.compile(r"\bfastapi\s+(?:run|dev)\b[^\"'\n]*?\s(?P<path>[\w./-]+\.py)\b")
_SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["'](?P<mod>[A-Za-z_][\w.]*)["']""")
_WSGI_SETTING = re.compile(r"""^WSGI_APPLICATION\s*=\s*["'](?P<path>[\w.]+)["']""", re.M)


@dataclass(frozen=True)
class Found:
    app: str                     # module:attr, module:factory() or module:factory('x')
    app_dir: str                 # "" = the repository root
    source: str                  # what said it: ".flaskenv FLASK_APP"
    file: str                    # repository-relative file that says it
    line: int | None
    tier: int                    # 0 declared, 1 wsgi.py/asgi.py, 2 conventional module
    env: tuple[tuple[str, str], ...] = ()     # e.g. DJANGO_SETTINGS_MODULE

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def config_line(self) -> str:
        line = f'app: "{self.app}"'
        return line + (f', app_dir: "{self.app_dir}"' if self.app_dir else "")


@dataclass(frozen=True)
class Detection:
    found: tuple[Found, ...]     # one: the app; several: ambiguous; none: not found
    tried: tuple[str, ...]       # every file looked at
    folders: tuple[str, ...] = ("",)

    @property
    def tried_text(self) -> str:
        where = " and ".join(f"{f}/" if f else "the repository root" for f in self.folders)
        return (f"FLASK_APP in .env/.flaskenv, DJANGO_SETTINGS_MODULE in manage.py, a "
                "uvicorn/gunicorn/fastapi command in pyproject.toml or Procfile, "
                f"wsgi.py/asgi.py, {', '.join(CONVENTIONAL)} (in {where})")

    @property
    def app(self) -> Found | None:
        return self.found[0] if len(self.found) == 1 else None


def _join(folder: str, rel: str) -> str:
    return f"{folder}/{rel}" if folder else rel


def _text(read: Reader, path: str) -> str | None:
    raw = read(path)
    return None if raw is None else raw.decode("utf-8", "replace")


def _module_file(read: Reader, folder: str, module: str) -> str | None:
    base = module.replace(".", "/")
    for rel in (base + ".py", base + "/__init__.py"):
        if read(_join(folder, rel)) is not None:
            return _join(folder, rel)
    return None


def _tree(text: str | None) -> ast.Module | None:
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _call_name(node) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
            else None
    return None


def _app_attr(tree: ast.Module | None, prefer: tuple[str, ...] = ("app", "application"),
              factories: bool = True) -> str | None:
    """The module-level name of the app in a module: a name built by FastAPI(...)/Flask(...)
    (or imported as one of ``prefer``), else a create_app/make_app factory."""
    if tree is None:
        return None
    names: dict[str, bool] = {}           # name -> built by a framework class
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            built = _call_name(node.value) in FRAMEWORK_CLASSES
            for t in targets:
                if isinstance(t, ast.Name):
                    names[t.id] = names.get(t.id, False) or built
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                names.setdefault(alias.asname or alias.name, False)
    built = [n for n, b in names.items() if b]
    for name in prefer:
        if name in built:
            return name
    if len(built) == 1:
        return built[0]
    for name in prefer:
        if name in names:
            return name
    if factories:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in ("create_app", "make_app"):
                return node.name + "()"
    return None


def _line_of(text: str, needle: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return None


class _Detector:
    def __init__(self, read: Reader) -> None:
        self._read, self._memo = read, {}
        self.tried: list[str] = []
        self.found: list[Found] = []

    def read(self, path: str) -> bytes | None:
        if path not in self._memo:
            self._memo[path] = self._read(path)
        return self._memo[path]

    def add(self, **kw) -> None:
        self.found.append(Found(**kw))

    # -- 1. declared ---------------------------------------------------------------------
    def flask_app(self, folder: str) -> None:
        for name in (".env", ".flaskenv"):       # flask run: .env wins over .flaskenv
            path = _join(folder, name)
            self.tried.append(f"{path} FLASK_APP")
            text = _text(self.read, path)
            if text is None:
                continue
            entries = [e for e in envfile.parse(text).entries
                       if e.key == "FLASK_APP" and e.value]
            if not entries:
                continue
            value = entries[-1].value.strip()
            target = self._flask_target(folder, value)
            if target:
                self.add(app=target, app_dir=folder, source=f"{name} FLASK_APP={value}",
                         file=path, line=entries[-1].line, tier=0)
            return

    def _flask_target(self, folder: str, value: str) -> str | None:
        module, sep, attr = value.partition(":")
        module = module.strip()
        if module.endswith(".py") or "/" in module:
            module = module[:-3] if module.endswith(".py") else module
            module = module.strip("/").replace("/", ".")
        if not re.fullmatch(r"[A-Za-z_][\w.]*", module):
            return None
        if sep and attr.strip():
            return f"{module}:{attr.strip()}"
        file = _module_file(self.read, folder, module)
        attr = _app_attr(_tree(_text(self.read, file))) if file else None
        return f"{module}:{attr or 'app'}"

    def django(self, folder: str) -> None:
        path = _join(folder, "manage.py")
        self.tried.append(f"{path} DJANGO_SETTINGS_MODULE")
        text = _text(self.read, path)
        m = _SETTINGS.search(text or "")
        if not m:
            return
        settings = m.group("mod")
        line = text.count("\n", 0, m.start()) + 1
        target = self._wsgi_setting(folder, settings)
        project = settings.split(".")[0]
        if target is None and _module_file(self.read, folder, project + ".wsgi"):
            target = f"{project}.wsgi:application"
        if target is None:        # what runserver serves without WSGI_APPLICATION
            target = "django.core.wsgi:get_wsgi_application()"
        self.add(app=target, app_dir=folder,
                 source=f"manage.py DJANGO_SETTINGS_MODULE={settings}", file=path, line=line,
                 tier=0, env=(("DJANGO_SETTINGS_MODULE", settings),))

    def _wsgi_setting(self, folder: str, settings: str) -> str | None:
        file = _module_file(self.read, folder, settings)
        todo = [file] if file else []
        if file and file.endswith("__init__.py"):     # settings/ package: base.py, ...
            text = _text(self.read, file) or ""
            for m in re.finditer(r"^from\s+\.(\w+)\s+import\s+\*", text, re.M):
                todo.append(file.rsplit("/", 1)[0] + f"/{m.group(1)}.py")
        for f in todo:
            m = _WSGI_SETTING.search(_text(self.read, f) or "")
            if m:
                mod, _, attr = m.group("path").rpartition(".")
                return f"{mod}:{attr}"
        return None

    def commands(self, folder: str) -> None:
        for name in ("pyproject.toml", "Procfile"):
            path = _join(folder, name)
            self.tried.append(f"{path} server command")
            text = _text(self.read, path)
            if text is None:
                continue
            for m in _SERVER_CMD.finditer(text):
                words = m.group("rest").split()
                target = next((w for w in words if _TARGET.fullmatch(w)), None)
                if target is None and m.group("server") == "gunicorn":
                    # `gunicorn proj.wsgi`: gunicorn's default attribute
                    target = next((w + ":application" for w in words
                                   if re.fullmatch(r"[A-Za-z_][\w.]*\.wsgi", w)), None)
                if target is None:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                self.add(app=target, app_dir=folder, source=f"{name}: {m.group(0).strip()}",
                         file=path, line=line, tier=0)
            for m in _FASTAPI_CMD.finditer(text):
                module = m.group("path")[:-3].strip("./").replace("/", ".")
                file = _module_file(self.read, folder, module)
                attr = _app_attr(_tree(_text(self.read, file)), factories=False) if file \
                    else None
                line = text.count("\n", 0, m.start()) + 1
                self.add(app=f"{module}:{attr or 'app'}", app_dir=folder,
                         source=f"{name}: {m.group(0).strip()}", file=path, line=line, tier=0)
            if name == "pyproject.toml":
                self._scripts(folder, path, text)

    def _scripts(self, folder: str, path: str, text: str) -> None:
        for script, target, line in _project_scripts(text):
            module, _, func = target.partition(":")
            file = _module_file(self.read, folder, module)
            tree = _tree(_text(self.read, file)) if file else None
            if tree is None:
                continue
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and _call_name(node) == "run" and
                        isinstance(node.func, ast.Attribute) and
                        isinstance(node.func.value, ast.Name) and
                        node.func.value.id == "uvicorn" and node.args):
                    continue
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and \
                        ":" in arg.value:
                    app = arg.value
                elif isinstance(arg, ast.Name):
                    app = f"{module}:{arg.id}"
                else:
                    continue
                self.add(app=app, app_dir=folder,
                         source=f"[project.scripts] {script} = \"{target}\" (uvicorn.run)",
                         file=path, line=line, tier=0)
                break

    # -- 2 and 3 ------------------------------------------------------------------------
    def server_modules(self, folder: str) -> None:
        for module in ("wsgi", "asgi"):
            path = _join(folder, module + ".py")
            self.tried.append(path)
            text = _text(self.read, path)
            attr = _app_attr(_tree(text), prefer=("application", "app"), factories=False)
            if attr:
                self.add(app=f"{module}:{attr}", app_dir=folder, source=f"{module}.py",
                         file=path, line=_line_of(text or "", attr), tier=1)

    def conventional(self, folder: str) -> None:
        for rel in CONVENTIONAL:
            path = _join(folder, rel)
            self.tried.append(path)
            text = _text(self.read, path)
            tree = _tree(text)
            if tree is None or not _uses_framework(tree):
                continue
            attr = _app_attr(tree)
            if attr:
                module = rel[:-3].replace("/", ".")
                self.add(app=f"{module}:{attr}", app_dir=folder, source="a conventional place",
                         file=path, line=_line_of(text or "", attr.rstrip("()")), tier=2)


def _uses_framework(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names]
            if any(n.split(".")[0] in ("fastapi", "flask", "starlette", "apiflask", "quart")
                   for n in names):
                return True
    return False


def _project_scripts(text: str) -> list[tuple[str, str, int]]:
    """[project.scripts] entries (name, "module:func", line), without a TOML parser (3.10
    has none): the table's `name = "module:func"` lines."""
    out, inside = [], False
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("["):
            inside = line.replace(" ", "") == "[project.scripts]"
            continue
        m = re.fullmatch(r"""["']?([\w.-]+)["']?\s*=\s*["']([\w.]+:[\w.]+)["']\s*(?:#.*)?""",
                         line) if inside else None
        if m:
            out.append((m.group(1), m.group(2), i))
    return out


def candidate_files(app_dir: str | None = None) -> list[str]:
    """The files detection reads first (to fetch them in one batch); module files follow."""
    folders = (app_dir.strip("/"),) if app_dir else APP_DIRS
    names = (".env", ".flaskenv", "manage.py", "pyproject.toml", "Procfile", "wsgi.py",
             "asgi.py") + CONVENTIONAL
    return [_join(f, n) for f in folders for n in names]


def detect(read: Reader, app_dir: str | None = None) -> Detection:
    """The app the project's files name, read through ``read`` (repository-relative path ->
    bytes, or None when absent)."""
    d = _Detector(read)
    folders = (app_dir.strip("/"),) if app_dir else APP_DIRS
    for step in (d.flask_app, d.django, d.commands, d.server_modules, d.conventional):
        for folder in folders:
            step(folder)
    if not d.found:
        return Detection((), tuple(d.tried), folders)
    tier = min(f.tier for f in d.found)
    winners: dict[tuple[str, str], Found] = {}
    for f in d.found:
        if f.tier == tier:
            winners.setdefault((f.app, f.app_dir), f)
    return Detection(tuple(winners.values()), tuple(d.tried), folders)
