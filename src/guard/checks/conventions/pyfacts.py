"""Python source → FileFacts, through the standard library's `ast` (with line numbers)."""

from __future__ import annotations

import ast
import bisect

from guard.checks.conventions.facts import EnvRead, FileFacts, Job, PortSite, norm
from guard.lazyre import Pattern

# terminal call name -> (positional index of the port, is that argument a (host, port) tuple,
# keyword names that carry a port, keyword names that carry a "host:port" bind string)
LISTEN: dict[str, tuple[int | None, bool, tuple[str, ...], tuple[str, ...]]] = {
    "run": (1, False, ("port",), ()),                  # uvicorn.run, app.run, socketio.run
    "listen": (0, False, ("port",), ()),               # tornado app.listen(8888)
    "run_app": (None, False, ("port",), ()),           # aiohttp web.run_app
    "serve": (None, False, ("port",), ("listen", "bind")),   # waitress, hypercorn
    "run_simple": (1, False, ("port",), ()),           # werkzeug
    "make_server": (1, False, ("port",), ()),          # wsgiref
    "start_server": (2, False, ("port",), ()),         # asyncio
    "create_server": (2, False, ("port",), ()),        # loop.create_server
    "Config": (None, False, ("port",), ("bind",)),     # uvicorn.Config, hypercorn Config
    "bind": (0, True, (), ()),                         # socket.bind(("", 8000))
    "HTTPServer": (0, True, (), ()), "ThreadingHTTPServer": (0, True, (), ()),
    "TCPServer": (0, True, (), ()), "ThreadingTCPServer": (0, True, (), ()),
}
JOB_DECORATORS = {"task": "Celery task", "shared_task": "Celery task", "actor": "Dramatiq actor",
                  "job": "RQ job", "periodic_task": "periodic task", "db_task": "Huey task"}
# os.environ / os.getenv, spelled through `import os` (the `os.` forms) or `from os import
# environ, getenv` (bare names count only when imported from os: a WSGI app's `environ`
# parameter is the request, not the process environment)
OS_CALLS = {("os", "getenv"), ("os", "environ", "get"), ("os", "environ", "setdefault"),
            ("os", "environ", "pop")}
BARE_CALLS = {("getenv",): "getenv", ("environ", "get"): "environ",
              ("environ", "setdefault"): "environ", ("environ", "pop"): "environ"}
ENVIRONS_METHODS = {"str", "int", "bool", "float", "list", "dict", "json", "url", "path", "decimal"}
_BIND = Pattern(r"^(?:[\w.\-\[\]:*]*:)?(\d{2,5})$")
_DIGITS = Pattern(r"^\d{2,5}$")


def walk(root, lines: list[int] | None = None) -> list:
    """Every node under ``root`` (breadth first), like ast.walk without its generator layers.
    With ``lines`` (sorted line numbers worth looking at), a statement that spans none of
    them is skipped (a statement that does is walked whole); assignments and imports are
    always listed, for name resolution."""
    out = [root]
    append, AST = out.append, ast.AST
    i = 0
    while i < len(out):
        node = out[i]
        i += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, AST):
                value = (value,)
            elif not isinstance(value, list):
                continue
            for child in value:
                if not isinstance(child, AST):
                    continue
                if lines is not None and isinstance(child, ast.stmt) and not isinstance(
                        child, _KEEP) and not _touches(child, lines):
                    continue
                append(child)
    return out


_KEEP = (ast.Assign, ast.AnnAssign, ast.ImportFrom, ast.Import)


def _touches(node, lines: list[int]) -> bool:
    low = getattr(node, "lineno", None)
    if low is None:
        return True
    j = bisect.bisect_left(lines, low)
    return j < len(lines) and lines[j] <= (node.end_lineno or low)


def dotted(node) -> tuple[str, ...]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return tuple(reversed(parts))
    return ()


def _looks_like_app(name: str) -> bool:
    low = name.lower()
    return "app" in low or low in ("server", "socketio", "sio", "api")


def _str(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _port_literal(node) -> str | None:
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        if isinstance(node.value, int) and 0 < node.value < 65536:
            return str(node.value)
        if isinstance(node.value, str) and _DIGITS.match(node.value) and 0 < int(node.value) < 65536:
            return node.value
    return None


class _Analyzer:
    def __init__(self, tree: ast.Module, path: str, job_file: bool,
                 lines: list[int] | None = None) -> None:
        self.tree = tree
        self.nodes = walk(tree, lines)           # one walk, shared by every pass
        self.facts = FileFacts(path)
        self.job_file = job_file
        self.assigns: dict[str, list[ast.AST]] = {}
        self.imports: dict[str, str] = {}            # local name -> module (with dots for level)
        self.imported: dict[str, tuple[str, str]] = {}   # from-imported name -> (module, name)
        self.modules: dict[str, str] = {}            # `import a.b as m`: m -> a.b; `import a.b`: a -> a
        self.decouple: set[str] = set()              # names bound to decouple's config
        self.from_os: set[str] = set()               # environ / getenv imported from os
        self.shadowed: list[tuple[int, int]] = []    # functions taking an `environ` argument
        self.environs: set[str] = set()              # names bound to environs.Env()
        self.settings_fields: dict[str, str] = {}    # field name -> env var
        self.env_nodes: dict[int, list[str]] = {}    # id(node) -> env vars read there

    # -- pass 1: names, imports, settings classes -------------------------------------------
    def collect(self) -> None:
        for node in self.nodes:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assigns.setdefault(target.id, []).append(node.value)
                if (isinstance(node.value, ast.Call) and dotted(node.value.func)[-1:] == ("Env",)):
                    self.environs.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(
                    node.target, ast.Name):
                self.assigns.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                for alias in node.names:
                    local = alias.asname or alias.name
                    self.imports[local] = module
                    self.imported[local] = (module, alias.name)
                    if node.module == "decouple" and alias.name == "config":
                        self.decouple.add(local)
                    if node.module == "os" and alias.name in ("environ", "getenv") and (
                            alias.asname is None):
                        self.from_os.add(alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.modules[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.modules[top] = top
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                args = node.args
                if any(a.arg == "environ" for a in args.posonlyargs + args.args
                       + args.kwonlyargs):
                    self.shadowed.append((node.lineno, node.end_lineno or node.lineno))
            elif isinstance(node, ast.ClassDef) and any(
                    dotted(b)[-1:] == ("BaseSettings",) for b in node.bases):
                self._settings_class(node)

    def _settings_class(self, cls: ast.ClassDef) -> None:
        prefix = ""
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets):
                value = stmt.value
                if isinstance(value, ast.Call):
                    for kw in value.keywords:
                        if kw.arg == "env_prefix" and _str(kw.value) is not None:
                            prefix = _str(kw.value)
                elif isinstance(value, ast.Dict):
                    for k, v in zip(value.keys, value.values):
                        if _str(k) == "env_prefix" and _str(v) is not None:
                            prefix = _str(v)
            elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
                for sub in stmt.body:
                    if (isinstance(sub, ast.Assign) and any(
                            isinstance(t, ast.Name) and t.id == "env_prefix" for t in sub.targets)
                            and _str(sub.value) is not None):
                        prefix = _str(sub.value)
        for stmt in cls.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            name = stmt.target.id
            if name == "model_config" or "ClassVar" in ast.dump(stmt.annotation):
                continue
            var = (prefix + name).upper()
            if isinstance(stmt.value, ast.Call):
                for kw in stmt.value.keywords:
                    if kw.arg in ("alias", "validation_alias", "env") and _str(kw.value):
                        var = _str(kw.value).upper()
            self.settings_fields[name] = var
            self.facts.env_reads.append(EnvRead(var, stmt.lineno,
                                                f"settings field {cls.name}.{name}"))

    # -- pass 2: env reads, listen calls, argv lists --------------------------------------
    def env_var_of(self, node) -> tuple[str, str] | None:
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            first = _str(node.args[0]) if node.args else None
            if first is None:
                for kw in node.keywords:
                    if kw.arg in ("key", "name") and _str(kw.value):
                        first = _str(kw.value)
            if first is None:
                return None
            if name in OS_CALLS or (BARE_CALLS.get(name) in self.from_os and not (
                    name[0] == "environ" and any(a <= node.lineno <= b
                                                 for a, b in self.shadowed))):
                return first, ".".join(name)
            if len(name) == 1 and name[0] in self.decouple:
                return first, "decouple config"
            if name and name[0] in self.environs and (
                    len(name) == 1 or (len(name) == 2 and name[1] in ENVIRONS_METHODS)):
                return first, "environs " + ".".join(name)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if self._is_environ(node.value) and _str(node.slice) is not None:
                return _str(node.slice), ".".join(dotted(node.value)) + "[...]"
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1 and isinstance(
                node.ops[0], (ast.In, ast.NotIn)):
            if self._is_environ(node.comparators[0]) and _str(node.left) is not None:
                return _str(node.left), "in os.environ"
        return None

    def _is_environ(self, node) -> bool:
        name = dotted(node)
        if name == ("os", "environ"):
            return True
        return (name == ("environ",) and "environ" in self.from_os
                and not any(a <= node.lineno <= b for a, b in self.shadowed))

    def scan_env(self) -> None:
        _env_types = (ast.Call, ast.Subscript, ast.Compare)
        for node in self.nodes:
            found = self.env_var_of(node) if isinstance(node, _env_types) else None
            if found:
                self.facts.env_reads.append(EnvRead(found[0], node.lineno, found[1]))
                self.env_nodes[id(node)] = [found[0]]

    def scan(self) -> None:
        self.scan_env()             # env reads first: a port expression may contain one
        for node in self.nodes:
            if isinstance(node, ast.Call):
                self._listen(node)
            elif isinstance(node, (ast.List, ast.Tuple)):
                self._argv(node)
            elif isinstance(node, ast.Assign):
                # gunicorn.conf.py: bind = "0.0.0.0:8000"
                if any(isinstance(t, ast.Name) and t.id == "bind" for t in node.targets):
                    self._bind_value(node.value, node.lineno, "bind = (gunicorn)")
                # hypercorn: config = Config(); config.bind = ["0.0.0.0:8000"]
                elif any(isinstance(t, ast.Attribute) and t.attr == "bind"
                         for t in node.targets):
                    self._bind_value(node.value, node.lineno, "config.bind =")

    def classify(self, node, depth: int = 0) -> tuple[str, str, str, tuple[str, ...]]:
        """(source, literal value, via, env vars) of a port expression. Source "import": a
        constant of another module, and the last item is (module, constant name) instead."""
        literal = _port_literal(node)
        if literal:
            return "literal", literal, "", ()
        found_vars = []
        for sub in walk(node):
            if id(sub) in self.env_nodes:
                found_vars += self.env_nodes[id(sub)]
            elif isinstance(sub, ast.Attribute) and sub.attr in self.settings_fields and (
                    isinstance(sub.ctx, ast.Load)):
                found_vars.append(self.settings_fields[sub.attr])
        if found_vars:
            return "env", "", "", tuple(dict.fromkeys(found_vars))
        if isinstance(node, ast.Call) and dotted(node.func) in (("int",), ("str",)) and (
                len(node.args) == 1):
            return self.classify(node.args[0], depth)
        if isinstance(node, ast.Name) and depth < 3 and node.id in self.assigns:
            results = [self.classify(v, depth + 1) for v in self.assigns[node.id]]
            envs = [r for r in results if r[0] == "env"]
            if envs:
                return "env", "", "", tuple(dict.fromkeys(v for r in envs for v in r[3]))
            if results and all(r[0] == "literal" for r in results):
                value = self.assigns[node.id][0]
                return "literal", results[0][1], f"{node.id} = {results[0][1]} at line " \
                                                 f"{value.lineno}", ()
            if len(results) == 1 and results[0][0] == "import":
                return results[0]             # PORT = settings.PORT; run(port=PORT)
        ref = self._imported_constant(node)
        if ref is not None:
            return "import", "", "", ref
        return "unknown", "", "", ()

    def _imported_constant(self, node) -> tuple[str, str] | None:
        """(module, name) when ``node`` names a constant of another module: `PORT` after
        `from .settings import PORT`, `settings.PORT` after `from . import settings` or
        `import api.settings as settings`, `api.settings.PORT` after `import api.settings`.
        The module may not be a file of the repository: the check finds out."""
        if isinstance(node, ast.Name):
            if node.id in self.assigns or node.id not in self.imported:
                return None
            return self.imported[node.id]
        name = dotted(node) if isinstance(node, ast.Attribute) else ()
        if len(name) < 2 or name[0] in self.assigns:
            return None
        if name[0] in self.imported:
            module = _submodule(*self.imported[name[0]])
        elif name[0] in self.modules:
            module = self.modules[name[0]]
        else:
            return None
        for part in name[1:-1]:
            module = _submodule(module, part)
        return module, name[-1]

    def _site(self, node: ast.Call, value, call: str) -> None:
        source, literal, via, env_vars = self.classify(value)
        if source == "literal" and call.endswith("listen") and not via and int(literal) <= 1024:
            return  # socket.listen(128): a backlog, not a port
        if source == "import":
            self.facts.ports.append(PortSite(value.lineno, call, source, ref=env_vars))
            return
        self.facts.ports.append(PortSite(value.lineno, call, source, literal, via, env_vars))

    def _listen(self, node: ast.Call) -> None:
        name = dotted(node.func)
        if not name and isinstance(node.func, ast.Attribute):
            name = ("…", node.func.attr)
        if not name or name[-1] not in LISTEN:
            return
        if name[-1] == "run" and name[0] in ("asyncio", "subprocess", "trio", "anyio"):
            return
        pos, is_tuple, port_kws, bind_kws = LISTEN[name[-1]]
        call = ".".join(name)
        keywords = [(kw.arg, kw.value) for kw in node.keywords if kw.arg is not None]
        for kw in node.keywords:             # run(**{"port": 8000}): a dict literal splatted
            if kw.arg is None and isinstance(kw.value, ast.Dict):
                keywords += [(_str(k), v) for k, v in zip(kw.value.keys, kw.value.values)
                             if k is not None]
        for arg, value in keywords:
            if arg in port_kws:
                self._site(node, value, call)
            elif arg in bind_kws:
                self._bind_value(value, node.lineno, call)
        if pos is not None and len(node.args) > pos:
            arg = node.args[pos]
            if is_tuple:
                if isinstance(arg, ast.Tuple) and len(arg.elts) >= 2:
                    self._site(node, arg.elts[1], call)
            elif not isinstance(arg, ast.Starred):
                if name[-1] == "run" and (
                        (_port_literal(arg) is None and not isinstance(arg, ast.Name))
                        or len(name) < 2 or not _looks_like_app(name[-2])):
                    return  # app.run(host, port) only: scheduler.run(job, 3600) is no server
                self._site(node, arg, call)

    def _bind_value(self, value, line: int, call: str) -> None:
        items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
        for item in items:
            text = _str(item)
            m = _BIND.match(text) if text else None
            if m and ":" in text:
                self.facts.ports.append(PortSite(item.lineno, call, "literal", m.group(1)))

    def _argv(self, node) -> None:
        words = [_str(e) for e in node.elts]
        for i, word in enumerate(words):
            if word is None:
                continue
            nxt = words[i + 1] if i + 1 < len(words) else None
            value = None
            if word == "--port" and nxt and _DIGITS.match(nxt):
                value = nxt
            elif word.startswith("--port=") and _DIGITS.match(word[7:]):
                value = word[7:]
            elif word in ("--bind", "-b") and nxt and _BIND.match(nxt) and ":" in nxt:
                value = _BIND.match(nxt).group(1)
            if value:
                self.facts.ports.append(PortSite(node.elts[i].lineno, f"{word} in a command list",
                                                 "literal", value))

    # -- jobs ------------------------------------------------------------------------------
    def jobs(self) -> None:
        job_nodes: list[tuple[ast.AST, str, str]] = []
        for node in self.tree.body if self.job_file else ():
            for inner in _defs(node):
                kind = self._job_kind(inner)
                if kind:
                    job_nodes.append((inner, inner.name, kind))
        # arq: WorkerSettings.functions = [send, func(charge, max_tries=3)]
        for node in self.nodes if self.job_file else ():
            if isinstance(node, ast.ClassDef) and node.name == "WorkerSettings":
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and any(
                            isinstance(t, ast.Name) and t.id == "functions" for t in stmt.targets):
                        self._arq_functions(stmt.value, job_nodes)
        inside: set[int] = set()
        own: dict[int, set[str]] = {}
        for node, _name, _kind in job_nodes:
            job_nodes_walked = walk(node)
            inside.update(map(id, job_nodes_walked))
            own[id(node)] = _words(nodes=job_nodes_walked)
        # a Task subclass of this file that another job names as its base (`base=BaseTask`,
        # `class Charge(BaseTask)`) is shared configuration: its words count for those jobs,
        # and it is no job of its own
        classes = {node.name: node for node, _n, _k in job_nodes if isinstance(node, ast.ClassDef)}
        bases_of = {id(node): _local_bases(node, classes) for node, _n, _k in job_nodes}
        used_as_base = {b for refs in bases_of.values() for b in refs}
        for node, name, kind in job_nodes:
            if isinstance(node, ast.ClassDef) and name in used_as_base:
                continue
            start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
            words, todo, seen = set(own[id(node)]), list(bases_of[id(node)]), set()
            while todo:
                base_name = todo.pop()
                if base_name not in seen:
                    seen.add(base_name)
                    words |= own[id(classes[base_name])]
                    todo += bases_of[id(classes[base_name])]
            self.facts.jobs.append(Job(name, kind, start, node.end_lineno or node.lineno,
                                       frozenset(words)))
            for dec in getattr(node, "decorator_list", []):
                for sub in walk(dec):
                    if isinstance(sub, ast.Name) and sub.id in self.imports:
                        self.facts.app_modules.add(self.imports[sub.id])
            for base in getattr(node, "bases", []):
                if isinstance(base, ast.Name) and base.id in self.imports:
                    self.facts.app_modules.add(self.imports[base.id])
        if self.job_file:
            self.facts.file_evidence = _words(skip=inside, nodes=self.nodes)

    def _job_kind(self, node) -> str | None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                name = dotted(target)
                if name and name[-1] in JOB_DECORATORS:
                    return JOB_DECORATORS[name[-1]]
        elif isinstance(node, ast.ClassDef):
            if any(dotted(b)[-1:] in (("Task",), ("Actor",), ("GenericActor",)) for b in node.bases):
                return "Celery task class" if any(dotted(b)[-1:] == ("Task",)
                                                  for b in node.bases) else "Dramatiq actor"
        return None

    def _arq_functions(self, value, job_nodes) -> None:
        defs = {n.name: n for n in self.nodes
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for item in value.elts if isinstance(value, (ast.List, ast.Tuple)) else ():
            target = item
            if isinstance(item, ast.Call) and item.args:
                target = item.args[0]
            if isinstance(target, ast.Name) and target.id in defs and not any(
                    n is defs[target.id] for n, _, _ in job_nodes):
                node = defs[target.id]
                job_nodes.append((node, node.name, "arq function"))
                if isinstance(item, ast.Call):   # func(..., max_tries=3) configures this job
                    self.facts.file_evidence.update(norm(k.arg) for k in item.keywords if k.arg)


def _submodule(module: str, name: str) -> str:
    """`from <module> import <name>` as a module name: `.` + `settings` -> `.settings`."""
    return module + name if not module or module.endswith(".") else f"{module}.{name}"


def _local_bases(node, classes: dict) -> list[str]:
    """Names of this file's job classes that a job takes as its base."""
    refs = [b for b in getattr(node, "bases", [])]
    for dec in getattr(node, "decorator_list", []):
        if isinstance(dec, ast.Call):
            refs += [k.value for k in dec.keywords if k.arg == "base"]
    return [r.id for r in refs if isinstance(r, ast.Name) and r.id in classes
            and classes[r.id] is not node]


def _defs(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node
    elif isinstance(node, (ast.If, ast.Try)):
        for child in ast.iter_child_nodes(node):
            yield from _defs(child)


_WORD_OF = {
    ast.Name: lambda n: n.id, ast.Attribute: lambda n: n.attr,
    ast.keyword: lambda n: n.arg, ast.arg: lambda n: n.arg,
    ast.FunctionDef: lambda n: n.name, ast.AsyncFunctionDef: lambda n: n.name,
    ast.ClassDef: lambda n: n.name,
}


def _words(root=None, skip: set[int] = frozenset(), nodes=None) -> set[str]:
    """Identifiers, attribute names, keyword and parameter names and dict keys: the words a
    retry/idempotency/failure setting is spelled with. Comments and free text never count.
    ``nodes``: an already walked node list to read instead of walking ``root``."""
    words: set[str] = set()
    add = words.add
    get = _WORD_OF.get
    for node in walk(root) if nodes is None else nodes:
        if skip and id(node) in skip:
            continue
        kind = type(node)
        word_of = get(kind)
        if word_of is not None:
            word = word_of(node)
            if word:
                add(word)
        elif kind is ast.Dict:
            words.update(k.value for k in node.keys
                         if isinstance(k, ast.Constant) and isinstance(k.value, str))
    return {norm(w) for w in words}


def analyze(text: str, path: str, *, job_file: bool,
            lines: list[int] | None = None) -> FileFacts:
    """``lines``: only the parts of the file spanning these lines matter (None: all)."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        facts = FileFacts(path)
        facts.parse_error = (exc.lineno or 1, exc.msg)
        return facts
    except ValueError as exc:        # NUL bytes
        facts = FileFacts(path)
        facts.parse_error = (1, str(exc))
        return facts
    analyzer = _Analyzer(tree, path, job_file, None if job_file else lines)
    analyzer.collect()
    analyzer.scan()
    analyzer.jobs()
    return analyzer.facts


def module_constant(text: str, path: str, name: str):
    """(source, literal value, line, env vars) of the module-level constant ``name`` of a
    Python module (`PORT = 8000`, `PORT = int(os.environ.get("API_PORT", "8000"))`), as
    classify reads a port expression; None when the module does not assign it."""
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError):
        return None
    values = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            values.append(stmt.value)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(
                stmt.target, ast.Name) and stmt.target.id == name:
            values.append(stmt.value)
    if not values:
        return None
    analyzer = _Analyzer(tree, path, False)
    analyzer.collect()
    analyzer.scan_env()
    results = [analyzer.classify(v, 1) for v in values]
    envs = [r for r in results if r[0] == "env"]
    if envs:
        return "env", "", values[0].lineno, tuple(dict.fromkeys(v for r in envs for v in r[3]))
    if all(r[0] == "literal" for r in results):
        return "literal", results[0][1], values[0].lineno, ()
    return None


def module_evidence(text: str) -> set[str]:
    """Every setting word in an app module (task_annotations, conf.update, signal handlers)."""
    try:
        return _words(ast.parse(text))
    except (SyntaxError, ValueError):
        return set()
