"""What a conformance failure means for the branch: where its fix goes (the handler the route
inventory maps), and whether the base commit already had it (inherited) or the branch made it.

A failure is keyed by (operation, schemathesis check, status): test-case ids and the
generated values are not stable, the words of a message may carry them. It is inherited
only when all of this holds, else it is the branch's (fail closed):

- the base commit's app ran, with the same contract, seed, budget and checks, and failed
  with the same key;
- the operation has no failure key on the branch that the base does not have (a new failing
  check or a new status makes the whole operation the branch's);
- both route inventories map the operation to a handler, and the handler's source (the
  function or class, decorators included) is the same text at the base and on the branch.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass

from guard.checks.contract.inventory import Route, shape


@dataclass(frozen=True)
class Handler:
    file: str          # repository-relative
    line: int


def handlers(ops, app_routes: list[Route] | None, base_path: str,
             root: str) -> dict[str, Handler]:
    """Operation label → its handler, for the operations one own route answers."""
    if not app_routes:
        return {}
    from guard.checks.contract.inventory import relative_source
    out: dict[str, Handler] = {}
    for op in ops:
        want = shape(base_path + op.path)
        found = [r for r in app_routes if not r.framework and r.shape == want and
                 (op.method in r.methods or "*" in r.methods)]
        exact = [r for r in found if op.method in r.methods] or found
        if not exact:
            continue
        file, line = relative_source(exact[0], root)
        if file and line:
            out[op.label] = Handler(file, line)
    return out


def handler_source(root: str, handler: Handler) -> str | None:
    """The text of the function or class defined at ``handler.line`` (its first decorator or
    its def line), or None when it cannot be read or found."""
    path = os.path.join(root, *handler.file.split("/"))
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    lines = text.splitlines()
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in ast.walk(tree):
        if not isinstance(node, kinds):
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        if handler.line in (first, node.lineno) and node.end_lineno:
            return "\n".join(lines[first - 1:node.end_lineno])
    return None


@dataclass(frozen=True)
class BaseRun:
    failures: frozenset          # {(operation, check, status)}
    handlers: dict               # operation label → Handler, relative to the base tree
    root: str                    # the exported base tree


def key(data: dict) -> tuple:
    return (data.get("operation"), data.get("schemathesis_check"), data.get("status"))


def split(failures: list, base: BaseRun, head_handlers: dict[str, Handler],
          head_root: str) -> tuple[list, list, dict[str, str]]:
    """(the branch's own CONTRACT007 findings, the inherited ones, why each operation with a
    base failure is the branch's: operation → reason)."""
    keys_by_op: dict[str, set] = {}
    for f in failures:
        k = key(dict(f.data))
        keys_by_op.setdefault(k[0], set()).add(k)
    verdict: dict[str, str | None] = {}     # operation → None (inherited) or the reason
    for op, keys in keys_by_op.items():
        if not keys & base.failures:
            verdict[op] = "new"
        elif keys - base.failures:
            verdict[op] = "worse: a failure the base does not have"
        elif op not in head_handlers or op not in base.handlers:
            verdict[op] = "handler not mapped by the route inventory"
        else:
            now = handler_source(head_root, head_handlers[op])
            then = handler_source(base.root, base.handlers[op])
            if now is None or then is None:
                verdict[op] = "handler source not found"
            elif now != then:
                verdict[op] = "handler changed on this branch"
            else:
                verdict[op] = None
    own, inherited = [], []
    for f in failures:
        op = key(dict(f.data))[0]
        (inherited if verdict.get(op) is None else own).append(f)
    reasons = {op: why for op, why in verdict.items() if why and why != "new"}
    return own, inherited, reasons


def gap_key(gap, base_path: str) -> tuple:
    """A route gap by what it is, not by its words: kind, method and path shape."""
    prefix = base_path if gap.kind == "missing" else ""
    return (gap.kind, gap.method, shape(prefix + gap.path))


def split_gaps(gaps: list, head_base_path: str, head_root: str, base_gaps: list | None,
               base_base_path: str, base_root: str) -> tuple[list, list, dict[str, str]]:
    """(the branch's own route gaps, the inherited ones, why a gap the base also has is the
    branch's: "METHOD path" → reason). A gap is inherited when the base commit has the same
    one (same kind, method and path shape, against the base's own contract) and, for an
    undocumented route, its handler is the same text at the base and on the branch. With no
    base gaps to compare (``None``), every gap is the branch's."""
    if base_gaps is None:
        return list(gaps), [], {}
    then = {}
    for g in base_gaps:
        then.setdefault(gap_key(g, base_base_path), g)
    own, inherited, reasons = [], [], {}
    for g in gaps:
        old = then.get(gap_key(g, head_base_path))
        label = f"{'ANY' if g.method == '*' else g.method} {g.path}"
        if old is None:
            own.append(g)
            continue
        if g.kind == "undocumented":
            why = _same_handler(g.route, head_root, old.route, base_root)
            if why:
                reasons[label] = why
                own.append(g)
                continue
        inherited.append(g)
    return own, inherited, reasons


def _same_handler(now, head_root: str, then, base_root: str) -> str | None:
    """None when the two routes' handlers are the same source text, else why not."""
    from guard.checks.contract.inventory import relative_source
    head_at = relative_source(now, head_root) if now is not None else (None, None)
    base_at = relative_source(then, base_root) if then is not None else (None, None)
    if not (head_at[0] and head_at[1] and base_at[0] and base_at[1]):
        return "handler not located by the route inventory"
    a = handler_source(head_root, Handler(*head_at))
    b = handler_source(base_root, Handler(*base_at))
    if a is None or b is None:
        return "handler source not found"
    if a != b:
        return "handler changed on this branch"
    return None
