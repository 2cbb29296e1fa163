"""Reading Python migrations statically: `ast` only, the file is never imported or run."""

from __future__ import annotations

import ast

from guard.checks.migrations import sqltext
from guard.checks.migrations.model import Migration, Stmt


def parse(mig: Migration, raw: bytes | None) -> ast.Module | None:
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
        tree = ast.parse(text, filename=mig.path)
    except UnicodeDecodeError as exc:
        mig.problems.append(("MIG011", None, f"{mig.path} is not valid UTF-8 ({exc.reason})",
                             "save the migration as UTF-8"))
        return None
    except SyntaxError as exc:
        mig.problems.append(("MIG011", exc.lineno, f"{mig.path}: Python syntax "
                             f"error: {exc.msg}", "fix the syntax; the tool cannot load this "
                             "migration either"))
        return None
    _comments(mig, text)
    return tree


def _comments(mig: Migration, text: str) -> None:
    for n, line in enumerate(text.splitlines(), 1):
        if "#" not in line:
            continue
        found = sqltext.parse_ignore(line.split("#", 1)[1])
        if found is None:
            continue
        if isinstance(found, str):
            mig.bad_ignores.append((mig.path, n, f"inline ignore {found}"))
            continue
        rules, reason = found
        for rule in rules:
            mig.ignores.append((rule, reason, n))


def literal(node: ast.AST | None):
    """The value of a literal expression, or None."""
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def assigned(tree: ast.Module, name: str, default=...):
    """Module-level ``name = literal`` (plain or annotated) → (found, value, line)."""
    for node in tree.body:
        target = value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id == name:
            return True, literal(value), node.lineno
    return False, default, None


def call_name(node: ast.AST) -> str:
    """`op.drop_table` → 'drop_table'; `migrations.RemoveField` → 'RemoveField'."""
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def arg(call: ast.Call, pos: int, kw: str):
    for k in call.keywords:
        if k.arg == kw:
            return k.value
    if pos is not None and pos < len(call.args):
        return call.args[pos]
    return None


def has_kw(call: ast.Call, kw: str) -> bool:
    return any(k.arg == kw for k in call.keywords)


def text_arg(call: ast.Call, pos: int, kw: str) -> str:
    value = literal(arg(call, pos, kw))
    if isinstance(value, str):
        return value
    node = arg(call, pos, kw)
    return ast.unparse(node) if node is not None else "?"


def sql_strings(node: ast.AST | None, path: str, line: int) -> list[Stmt] | None:
    """SQL handed to op.execute / RunSQL: a string, or a list of strings. None when it is
    not a literal (built at run time: guard cannot read it)."""
    value = literal(node)
    if isinstance(value, str):
        return sqltext.split(value, path, line)
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if isinstance(item, str):
                out += sqltext.split(item, path, line)
            elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
                out += sqltext.split(item[0], path, line)
        return out
    return None


def body_is_empty(func: ast.FunctionDef) -> bool:
    """`pass`, `...`, a docstring, or nothing but those."""
    for stmt in func.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        return False
    return True


def functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def parse_or_none(raw: bytes | None):
    """The module's ast, or None when there is no file or it does not parse."""
    import ast
    if raw is None:
        return None
    try:
        return ast.parse(raw)
    except (SyntaxError, ValueError):
        return None
