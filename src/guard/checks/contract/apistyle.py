"""The contract against company.config.yaml's `api.*` settings ("follow them strictly").

Static, on the loaded contract (no request is sent): base path and version scheme, the
naming case of path segments, parameters and JSON fields, the pagination style of list
operations, and the error format. A departure the branch added or changed is its error; the
ones the base contract already had are counted in one info finding (CONTRACT024), because
they are the contract owner's, not this branch's.

Each departure has a key that does not move with line numbers (rule, operation, subject), so
base and head are compared by what they say, not by where it is.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, NamedTuple

from guard.checks.contract.spec import (METHODS, Contract, _line, _split_ref, base_path,
                                        resolve_pointer)
from guard.checks.contract_spec import ApiStyle
from guard.finding import Finding

CHECK = "contract"
_CASE = {
    "kebab-case": re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"),
    "snake_case": re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"),
    "camelCase": re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*"),
    "PascalCase": re.compile(r"[A-Z][a-z0-9]*(?:[A-Z][a-z0-9]*)*"),
    "lowercase": re.compile(r"[a-z][a-z0-9]*"),
}
_VERSION = re.compile(r"v[0-9]+(?:\.[0-9]+)*")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# the property that holds a list operation's items in an envelope
COLLECTION_KEYS = ("items", "data", "results", "records", "entries", "edges", "nodes")
MAX_DEPTH = 40
MAX_LISTED = 200


class Departure(NamedTuple):
    rule: str
    key: tuple
    message: str
    hint: str
    file: str
    line: int | None
    operation: str | None = None


def convert(name: str, case: str) -> str:
    """``order_id`` → ``orderId`` for camelCase, and so on: the name a hint proposes."""
    words = [w.lower() for w in _WORDS.findall(name)] or [name.lower()]
    if case == "kebab-case":
        return "-".join(words)
    if case == "snake_case":
        return "_".join(words)
    if case == "lowercase":
        return "".join(words)
    if case == "camelCase":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    return "".join(w.capitalize() for w in words)


def fits(name: str, case: str) -> bool:
    # a leading marker (`_links`, `@type`, `$schema`) is a convention of its own, not a word
    return bool(_CASE[case].fullmatch(name.lstrip("_@$")))


def _deref(c: Contract, node: Any, file: str, pointer: str, depth: int = 0):
    """Follow $refs; returns (node, file, pointer of where it lives) or (None, …)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < MAX_DEPTH:
        file, ptr = _split_ref(node["$ref"], file)
        if "://" in file:
            return None, file, pointer
        try:
            node = resolve_pointer(c, file, ptr)
        except (KeyError, IndexError, ValueError):
            return None, file, pointer
        pointer = ptr
        depth += 1
    return node, file, pointer


class _Op(NamedTuple):
    method: str
    path: str
    full: str
    node: dict
    item: dict
    file: str
    line: int | None
    pointer: str

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _operations(c: Contract) -> list[_Op]:
    paths = c.doc.get("paths") or {}
    prefix = base_path(c)
    out = []
    if not isinstance(paths, dict):
        return out
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/"):
            continue
        ptr = "/paths/" + path.replace("~", "~0").replace("/", "~1")
        item, file, ptr = _deref(c, item, c.root, ptr)
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                out.append(_Op(method.upper(), path, (prefix + path) or "/", op, item, file,
                               _line(item, method), f"{ptr}/{method}"))
    return out


def _where(style: ApiStyle, line: int | None) -> str:
    return f"{style.file}:{line}" if line else style.file


# -- the settings, one at a time ------------------------------------------------------------

def _base_path(style: ApiStyle, op: _Op) -> Iterator[Departure]:
    if style.base_path:
        bp, bline = style.base_path
        if bp != "/" and op.full != bp and not op.full.startswith(bp + "/"):
            yield Departure(
                "CONTRACT020", ("CONTRACT020", op.label),
                f"{op.label}: its path {op.full} is not under api.base_path {bp} "
                f"({_where(style, bline)})",
                f"serve it under {bp} (the path, or the contract's servers url)",
                op.file, op.line, op.label)
    if style.versioning:
        scheme, vline = style.versioning
        versioned = any(_VERSION.fullmatch(s) for s in op.full.split("/"))
        if scheme == "url" and not versioned:
            yield Departure(
                "CONTRACT020", ("CONTRACT020", op.label, "version"),
                f"{op.label}: its path {op.full} has no version segment (/v1/...) where "
                f"api.versioning is url ({_where(style, vline)})",
                "put the version in the path, e.g. /v1" + op.path,
                op.file, op.line, op.label)
        elif scheme in ("header", "none") and versioned:
            yield Departure(
                "CONTRACT020", ("CONTRACT020", op.label, "version"),
                f"{op.label}: its path {op.full} carries a version segment where "
                f"api.versioning is {scheme} ({_where(style, vline)})",
                "drop the version from the path" + (" and read it from the request header"
                                                     if scheme == "header" else ""),
                op.file, op.line, op.label)


def _naming_paths(style: ApiStyle, case: str, cline, op: _Op) -> Iterator[Departure]:
    skip = set(style.base_path[0].split("/")) if style.base_path else set()
    for segment in op.path.split("/"):
        if not segment or "{" in segment or segment in skip or _VERSION.fullmatch(segment):
            continue
        stem = segment.split(".", 1)[0]          # `openapi.json`: the extension is no word
        if stem and not fits(stem, case):
            yield Departure(
                "CONTRACT021", ("CONTRACT021", "path", op.path, segment),
                f"{op.label}: path segment {segment!r} is not {case} (api.naming.paths, "
                f"{_where(style, cline)})",
                f"name it {convert(stem, case) + segment[len(stem):]!r} in the contract and "
                "the route", op.file, op.line, op.label)


def _params(c: Contract, op: _Op) -> Iterator[tuple[dict, str, str]]:
    for holder, ptr in ((op.item, op.pointer.rsplit("/", 1)[0]), (op.node, op.pointer)):
        params = holder.get("parameters")
        if not isinstance(params, list):
            continue
        for i, raw in enumerate(params):
            p, file, pptr = _deref(c, raw, op.file, f"{ptr}/parameters/{i}")
            if isinstance(p, dict) and isinstance(p.get("name"), str):
                yield p, file, pptr


def _naming_params(c, style, case, cline, op: _Op) -> Iterator[Departure]:
    for p, file, _ in _params(c, op):
        if p.get("in") not in ("query", "path") or fits(p["name"], case):
            continue
        yield Departure(
            "CONTRACT021", ("CONTRACT021", "parameter", op.label, p.get("in"), p["name"]),
            f"{op.label}: {p.get('in')} parameter {p['name']!r} is not {case} "
            f"(api.naming.parameters, {_where(style, cline)})",
            f"name it {convert(p['name'], case)!r} in the contract and the handler",
            file, _line(p, "name"), op.label)


def _bodies(c: Contract, op: _Op) -> Iterator[tuple[Any, str, str]]:
    """(schema node, file, pointer) of the request body and of every response."""
    if c.version == "2.0":
        for p, file, pptr in _params(c, op):
            if p.get("in") == "body" and "schema" in p:
                yield p["schema"], file, pptr + "/schema"
    else:
        body, file, ptr = _deref(c, op.node.get("requestBody"), op.file,
                                 op.pointer + "/requestBody")
        yield from _media(body, file, ptr)
    responses = op.node.get("responses")
    if isinstance(responses, dict):
        for status, raw in responses.items():
            resp, file, ptr = _deref(c, raw, op.file, f"{op.pointer}/responses/{status}")
            if c.version == "2.0":
                if isinstance(resp, dict) and "schema" in resp:
                    yield resp["schema"], file, ptr + "/schema"
            else:
                yield from _media(resp, file, ptr)


def _media(holder: Any, file: str, ptr: str):
    content = holder.get("content") if isinstance(holder, dict) else None
    if isinstance(content, dict):
        for media, entry in content.items():
            if "json" in str(media) and isinstance(entry, dict) and "schema" in entry:
                yield entry["schema"], file, f"{ptr}/content/{media}/schema"


def _fields(c: Contract, schema: Any, file: str, ptr: str, seen: set, depth: int = 0):
    """(name, file, line, pointer) of every property name reachable from ``schema``."""
    schema, file, ptr = _deref(c, schema, file, ptr)
    if not isinstance(schema, dict) or depth > MAX_DEPTH or (file, ptr) in seen:
        return
    seen.add((file, ptr))
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            yield str(name), file, _line(props, str(name)), f"{ptr}/properties/{name}"
            yield from _fields(c, sub, file, f"{ptr}/properties/{name}", seen, depth + 1)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            yield from _fields(c, schema[key], file, f"{ptr}/{key}", seen, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                yield from _fields(c, sub, file, f"{ptr}/{key}/{i}", seen, depth + 1)


def _naming_fields(c, style, case, cline, ops: list[_Op]) -> Iterator[Departure]:
    users: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], tuple[str, str, int | None]] = {}
    for op in ops:
        seen: set = set()
        for schema, file, ptr in _bodies(c, op):
            for name, ffile, line, fptr in _fields(c, schema, file, ptr, seen):
                if fits(name, case):
                    continue
                where = (ffile, fptr)
                users.setdefault(where, []).append(op.label)
                first.setdefault(where, (name, ffile, line))
    for where, labels in users.items():
        name, file, line = first[where]
        labels = sorted(set(labels))
        used = labels[0] + (f" and {len(labels) - 1} more" if len(labels) > 1 else "")
        yield Departure(
            "CONTRACT021", ("CONTRACT021", "field", where[1].rsplit("/properties/", 1)[0],
                            name),
            f"JSON field {name!r} ({used}) is not {case} (api.naming.fields, "
            f"{_where(style, cline)})",
            f"name it {convert(name, case)!r} in the contract and the implementation",
            file, line, labels[0])


def _success(c: Contract, op: _Op):
    responses = op.node.get("responses")
    if not isinstance(responses, dict):
        return None, op.file, op.line
    codes = sorted(str(k) for k in responses if re.fullmatch(r"2[0-9][0-9]|2XX", str(k)))
    if not codes:
        return None, op.file, op.line
    key = next(k for k in responses if str(k) == codes[0])
    resp, file, ptr = _deref(c, responses[key], op.file, f"{op.pointer}/responses/{codes[0]}")
    schema = None
    if c.version == "2.0":
        schema = resp.get("schema") if isinstance(resp, dict) else None
    else:
        for s, _f, _p in _media(resp, file, ptr):
            schema = s
            break
    schema, file, _ = _deref(c, schema, file, ptr)
    return schema, file, _line(responses, codes[0])


def _pagination(c, style: ApiStyle, op: _Op) -> Iterator[Departure]:
    kind, wanted, pline = style.pagination
    last = op.path.rstrip("/").rsplit("/", 1)[-1]
    if op.method != "GET" or "{" in last:
        return
    schema, file, line = _success(c, op)
    if not isinstance(schema, dict):
        return
    bare = schema.get("type") == "array"
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    enveloped = False
    for key in COLLECTION_KEYS:
        prop = _deref(c, props.get(key), file, "")[0]
        enveloped = enveloped or (isinstance(prop, dict) and prop.get("type") == "array")
    if not (bare or enveloped):
        return

    def norm(name: str) -> str:
        return name.replace("_", "").replace("-", "").lower()
    have = {norm(p["name"]) for p, _f, _p in _params(c, op) if p.get("in") == "query"}
    missing = [w for w in wanted if norm(w) not in have]
    problems = []
    if missing:
        problems.append(f"takes no {' or '.join(missing)} query parameter")
    if bare:
        problems.append("returns a bare array (no room for the "
                        + ("next cursor" if kind == "cursor" else "total") + ")")
    if problems:
        # the envelope's fields as api.naming.fields spells them, or following the step
        # raises CONTRACT021
        fields = next((case for what, case, _l in style.naming if what == "fields"), None)
        after = "next_cursor" if kind == "cursor" else "total"
        after = convert(after, fields) if fields else after
        yield Departure(
            "CONTRACT022", ("CONTRACT022", op.label),
            f"{op.label} lists a collection but {' and '.join(problems)}, where "
            f"api.pagination is {kind} ({_where(style, pline)})",
            f"take {', '.join(wanted)} as query parameters and return an envelope "
            f"{{{COLLECTION_KEYS[0]}: [...], {after}: ...}}", op.file, op.line, op.label)


def _errors(c, style: ApiStyle, op: _Op) -> Iterator[Departure]:
    kind, name, eline = style.errors
    responses = op.node.get("responses")
    if not isinstance(responses, dict):
        return
    produces = op.node.get("produces", c.doc.get("produces")) if c.version == "2.0" else None
    for status, raw in responses.items():
        code = str(status)
        if not (code == "default" or re.fullmatch(r"[45](?:[0-9][0-9]|XX)", code)):
            continue
        resp, file, ptr = _deref(c, raw, op.file, f"{op.pointer}/responses/{code}")
        if not isinstance(resp, dict):
            continue
        line = _line(responses, code)
        if kind == "problem+json":
            if c.version == "2.0":
                media = list(produces) if isinstance(produces, list) else []
                if "schema" not in resp:
                    continue
            else:
                content = resp.get("content")
                if not isinstance(content, dict) or not content:
                    continue        # no body documented: nothing in another format
                media = [str(m) for m in content]
            if "application/problem+json" not in media:
                yield Departure(
                    "CONTRACT023", ("CONTRACT023", op.label, code),
                    f"{op.label}: the {code} response is {', '.join(media) or 'untyped'}, "
                    f"not application/problem+json, where api.errors is problem+json "
                    f"({_where(style, eline)})",
                    "document it as application/problem+json with type, title, status "
                    "(RFC 9457), and answer so", file, line, op.label)
        else:
            if c.version == "2.0":
                raws = [resp["schema"]] if "schema" in resp else []
            else:
                content = resp.get("content")
                raws = [entry["schema"] for entry in content.values()
                        if isinstance(entry, dict) and "schema" in entry] \
                    if isinstance(content, dict) else []
            if not raws:
                continue
            if not all(_names(s, name) for s in raws):
                yield Departure(
                    "CONTRACT023", ("CONTRACT023", op.label, code),
                    f"{op.label}: the {code} response does not use the schema {name}, where "
                    f"api.errors.schema is {name} ({_where(style, eline)})",
                    f"document it with $ref: '#/components/schemas/{name}', and answer so",
                    file, line, op.label)


def _names(schema: Any, name: str) -> bool:
    if not isinstance(schema, dict):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1] == name
    parts = schema.get("allOf")
    return isinstance(parts, list) and any(_names(p, name) for p in parts)


def departures(style: ApiStyle, c: Contract) -> list[Departure]:
    if c is None or not isinstance(c.doc, dict):
        return []
    ops = _operations(c)
    out: list[Departure] = []
    naming = {what: (case, line) for what, case, line in style.naming}
    for op in ops:
        out += _base_path(style, op)
        if "paths" in naming:
            out += _naming_paths(style, *naming["paths"], op)
        if "parameters" in naming:
            out += _naming_params(c, style, *naming["parameters"], op)
        if style.pagination:
            out += _pagination(c, style, op)
        if style.errors:
            out += _errors(c, style, op)
    if "fields" in naming:
        out += _naming_fields(c, style, *naming["fields"], ops)
    seen, unique = set(), []
    for d in out:
        if d.key not in seen:
            seen.add(d.key)
            unique.append(d)
    return unique


def findings(style: ApiStyle | None, agreed: Contract, base: Contract | None) -> list[Finding]:
    """The branch's departures as errors; the base's own, counted in one info finding."""
    if style is None or agreed is None:
        return []
    got = departures(style, agreed)
    if base is agreed:
        inherited_keys = {d.key for d in got}
    else:
        inherited_keys = {d.key for d in departures(style, base)} if base is not None else set()
    out, inherited = [], []
    for d in got:
        if d.key in inherited_keys:
            inherited.append(d)
            continue
        out.append(Finding(d.rule, CHECK, "error", d.message, d.hint, d.file, d.line,
                           (("operation", d.operation),) if d.operation else ()))
    if inherited:
        counts: dict[str, int] = {}
        for d in inherited:
            counts[d.rule] = counts.get(d.rule, 0) + 1
        by_rule = ", ".join(f"{rule} ×{n}" for rule, n in sorted(counts.items()))
        # strings, not dicts: a finding is a hashable value
        listed = tuple(f"{d.file}:{d.line or 1}: {d.rule} {d.message}"
                       for d in inherited[:MAX_LISTED])
        out.append(Finding(
            "CONTRACT024", CHECK, "info",
            f"the agreed contract {agreed.root} already departs from the api.* settings in "
            f"{len(inherited)} place(s) this branch did not add or change ({by_rule})",
            "nothing to do on this branch; the contract's owner may fix them (listed in the "
            "JSON report's data)", agreed.root, None,
            (("departures", listed), ("count", len(inherited)))))
    return out
