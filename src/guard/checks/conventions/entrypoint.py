"""CONV012: the app a start command names exists on the branch.

`uvicorn.run("pkg.mod:app")` in Python, and `uvicorn|gunicorn|hypercorn|daphne pkg.mod:app`
or `python manage.py runserver` in start scripts, Procfiles, Dockerfiles and compose files,
name a module and an attribute. Statically: the module is a file of the head revision
(`pkg/mod.py` or `pkg/mod/__init__.py`, from the repository root, the start file's folder
or the command's --app-dir/--chdir), and it defines the attribute at top level: an
assignment, a def or class, or an import of that name (a star import counts). For
`manage.py runserver`: manage.py exists, and the DJANGO_SETTINGS_MODULE it sets is a module
of the branch. Only start files the branch changed are read, in one batch (Python: the
usual start modules, main.py, app.py, asgi.py, ..., and files at the root).
"""

import posixpath
import re
from typing import Iterator, NamedTuple

from guard.finding import Finding
from guard.lazyre import Pattern

SERVERS = ("uvicorn", "gunicorn", "hypercorn", "daphne")
_TARGET = Pattern(r"^([A-Za-z_][\w.]*):([A-Za-z_]\w*)(?:\(.*\))?(?:\.[\w.]+)?$")
_PY_RUN = Pattern(r"\buvicorn\.run\(\s*(['\"])([^'\"]+)\1")
_SETTINGS = Pattern(r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]")
_MARKS = ("uvicorn", "gunicorn", "hypercorn", "daphne", "runserver")
# options of the servers that take a value, which is never the app
_VALUE_OPTIONS = {"--bind", "-b", "--host", "--port", "-p", "--workers", "-w", "-k",
                  "--worker-class", "--app-dir", "--chdir", "--config", "-c", "--log-config",
                  "--env-file", "--name", "-n", "--uds", "--root-path", "--timeout", "-t",
                  "--access-logfile", "--error-logfile", "--pythonpath", "--user", "--group"}
_START_NAMES = ("main.py", "app.py", "asgi.py", "wsgi.py", "server.py", "run.py",
                "manage.py", "__main__.py")


class Start(NamedTuple):
    path: str           # the file that starts the server
    line: int
    target: str         # module:attr as written, or "manage.py"
    module: str
    attr: str | None
    dirs: tuple[str, ...]   # where the module is looked for


def is_start_file(path: str, in_server: bool) -> bool:
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".py"):
        # the usual start modules only: a 20,000-file change must not be read twice
        return "/" not in path or name in _START_NAMES or (in_server and "start" in name)
    return (name in ("Procfile", "Makefile") or name.startswith(("Dockerfile", "Containerfile"))
            or name.endswith((".sh", ".bash")) or
            (name.endswith((".yml", ".yaml")) and ("compose" in name)))


def _words(command: str) -> list[str]:
    import shlex

    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


def _command_starts(path: str, line: int, command: str, here: str) -> Iterator[Start]:
    # JSON-array forms (Dockerfile CMD ["uvicorn", "a:b"], compose command: [..]) read as words
    command = re.sub(r'[\[\],]', " ", command) if "[" in command else command
    words = [w.strip("'\"") for w in _words(command)]
    for i, word in enumerate(words):
        tool = word.rsplit("/", 1)[-1]
        if tool == "manage.py" and "runserver" in words[i + 1:]:
            yield Start(path, line, "manage.py runserver", "manage", None, ("", here))
            continue
        if tool not in SERVERS:
            continue
        dirs = ["", here]
        rest = words[i + 1:]
        for j, w in enumerate(rest):
            given = None
            if w in ("--app-dir", "--chdir") and j + 1 < len(rest):
                given = rest[j + 1]
            elif w.startswith(("--app-dir=", "--chdir=")):
                given = w.split("=", 1)[1]
            if given and not given.startswith("/"):
                # relative to where the command runs: the file's folder or the root
                dirs[:0] = [posixpath.normpath(posixpath.join(here, given)),
                            posixpath.normpath(given)]
        for j, w in enumerate(rest):
            m = _TARGET.match(w)
            if j and rest[j - 1] in _VALUE_OPTIONS:
                continue                      # `--bind unix:sock`, `-k pkg:Worker`
            if m and not w.startswith("-"):
                yield Start(path, line, w, m.group(1), m.group(2), tuple(dict.fromkeys(dirs)))
                break
        return


def starts_in(path: str, text: str) -> list[Start]:
    here = posixpath.dirname(path)
    found: list[Start] = []
    if path.endswith(".py"):
        for number, line in enumerate(text.split("\n"), 1):
            m = _PY_RUN.search(line)
            if m:
                t = _TARGET.match(m.group(2))
                if t:
                    found.append(Start(path, number, m.group(2), t.group(1), t.group(2),
                                       ("", here)))
        return found
    joined, start = "", None
    for number, line in enumerate(text.split("\n"), 1):
        start = number if start is None else start
        if line.endswith("\\"):
            joined += line[:-1] + " "
            continue
        joined += line
        if any(mark in joined for mark in _MARKS):
            found.extend(_command_starts(path, start, joined.split(":", 1)[1]
                                         if path.endswith("Procfile") and ":" in joined
                                         else joined, here))
        joined, start = "", None
    return found


def candidates(start: Start) -> list[str]:
    rel = start.module.replace(".", "/")
    out = []
    for d in start.dirs:
        for name in (f"{rel}.py", f"{rel}/__init__.py"):
            out.append(posixpath.normpath(posixpath.join(d, name)) if d else name)
    return list(dict.fromkeys(out))


def defines(source: bytes, attr: str) -> bool | None:
    """True when the module defines ``attr`` at top level; None when it cannot be parsed."""
    import ast      # (~16 M instructions: imported when a start module is read)

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None

    def names(node) -> Iterator[str]:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        yield n.id
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                yield "*" if alias.name == "*" else (alias.asname or
                                                     alias.name.split(".")[0])
        elif isinstance(node, (ast.If, ast.Try)):       # `if TYPE_CHECKING:`, try/except
            for child in ast.iter_child_nodes(node):
                yield from names(child)
        elif isinstance(node, (ast.ExceptHandler,)):
            for child in node.body:
                yield from names(child)

    found = {n for node in tree.body for n in names(node)}
    return attr in found or "*" in found


def check(starts: list[Start], modules: dict[str, bytes]) -> Iterator[Finding]:
    for s in starts:
        files = candidates(s)
        hit = next((f for f in files if f in modules), None)
        if s.attr is None:                          # manage.py runserver
            if hit is None:
                yield _finding(s, f"{s.path}:{s.line}: `{s.target}` runs manage.py, which is "
                                  "not on the branch",
                               "add manage.py (django-admin startproject writes it) or fix "
                               "the command's path")
                continue
            m = _SETTINGS.search(modules[hit].decode("utf-8", "replace"))
            if m and not any(f in modules for f in candidates(s._replace(module=m.group(1)))):
                yield _finding(s, f"{s.path}:{s.line}: `{s.target}` uses the settings module "
                                  f"{m.group(1)} ({hit}), which is not on the branch",
                               f"point DJANGO_SETTINGS_MODULE in {hit} at the settings module "
                               "that exists, or add it")
            continue
        if hit is None:
            yield _finding(s, f"{s.path}:{s.line}: the server is started with {s.target}, but "
                              f"module {s.module} is not on the branch (looked for "
                              f"{', '.join(files[:2])})",
                           f"point the start command at the module that defines the app "
                           f"(`module.path:attribute`), or add {files[0]}")
            continue
        ok = defines(modules[hit], s.attr)
        if ok is False:
            yield _finding(s, f"{s.path}:{s.line}: the server is started with {s.target}, but "
                              f"{hit} defines no top-level {s.attr}",
                           f"name the attribute {hit} defines for the app, or define "
                           f"{s.attr} there")


def _finding(s: Start, message: str, hint: str) -> Finding:
    return Finding("CONV012", "conventions", "error", message, hint, s.path, s.line,
                   (("target", s.target),))


def run(git, head_rev: str, changes, in_server) -> Iterator[Finding]:
    files = [c for c in changes if c.status != "D" and c.kind == "file"
             and is_start_file(c.path, bool(in_server(c.path)))]
    if not files:
        return
    blobs = git.read_blobs([c.new_sha for c in files])
    starts: list[Start] = []
    for change in files:
        data = blobs.get(change.new_sha)
        if data is None or len(data) > 2_000_000:
            continue
        text = data.decode("utf-8", "replace")
        if any(mark in text for mark in _MARKS):
            starts.extend(starts_in(change.path, text))
    if not starts:
        return
    wanted = {p for s in starts for p in candidates(s)}
    prefix = ":" if head_rev == ":" else f"{head_rev}:"
    specs = sorted(p for p in wanted if "\n" not in p and not p.startswith("../"))
    found = git.read_blobs([prefix + p for p in specs]) if specs else {}
    modules = {spec[len(prefix):]: data for spec, data in found.items()}
    # the Django settings modules manage.py names, read in a second batch
    more = set()
    for s in starts:
        if s.attr is None:
            hit = next((f for f in candidates(s) if f in modules), None)
            m = _SETTINGS.search(modules[hit].decode("utf-8", "replace")) if hit else None
            if m:
                more.update(candidates(s._replace(module=m.group(1))))
    more -= set(modules)
    if more:
        got = git.read_blobs([prefix + p for p in sorted(more)])
        modules.update({spec[len(prefix):]: data for spec, data in got.items()})
    yield from check(starts, modules)
