"""The contract as files at a revision: loaded with line numbers, `$ref`s followed across
files, validated with openapi-spec-validator, and every problem mapped back to file:line."""

from __future__ import annotations

import json
import os
import posixpath
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import unquote

from guard import yamlfile
from guard.errors import GuardError

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str


@dataclass
class Contract:
    root: str                                   # repo-relative path of the root file
    rev_label: str                              # "base 1a2b3c4d", "head …", "index"
    files: dict[str, bytes] = field(default_factory=dict)
    docs: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def doc(self) -> Any:
        return self.docs.get(self.root)

    @property
    def version(self) -> str | None:
        doc = self.doc
        if not isinstance(doc, dict):
            return None
        if isinstance(doc.get("swagger"), str):
            return "2.0"
        value = doc.get("openapi")
        if isinstance(value, str):
            return value
        return None

    def write(self, folder: str) -> str:
        """Write the contract's files under ``folder``; returns the root file's path."""
        for rel, raw in self.files.items():
            target = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(raw)
        return os.path.join(folder, self.root)


# -- loading -------------------------------------------------------------------------------

def _split_ref(ref: str, current: str) -> tuple[str, str]:
    """A $ref → (repo-relative file, JSON pointer)."""
    target, _, pointer = ref.partition("#")
    if not target:
        return current, pointer
    if "://" in target:
        return target, pointer
    return posixpath.normpath(posixpath.join(posixpath.dirname(current), unquote(target))), pointer


def _pointer_parts(pointer: str) -> list[str]:
    if not pointer or pointer == "/":
        return []
    return [unquote(p).replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def _child(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        if key in node:
            return node[key]
        for k in node:                           # 200 vs "200"
            if str(k) == key:
                return node[k]
        raise KeyError(key)
    if isinstance(node, list):
        return node[int(key)]
    raise KeyError(key)


def _line(node: Any, key: str | None = None) -> int | None:
    if key is not None and isinstance(node, yamlfile.Node):
        for k, ln in node.key_lines.items():
            if str(k) == key:
                return ln
    if isinstance(node, yamlfile.Seq) and key is not None and key.isdigit():
        return node.line_of(int(key))
    return getattr(node, "line", None) or None


def _walk_refs(node: Any) -> Iterator[tuple[Any, str]]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield node, ref
        for value in node.values():
            yield from _walk_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_refs(value)


def load(read, root: str, rev_label: str) -> Contract:
    """Load ``root`` and every file it `$ref`s; ``read(path) -> bytes | None``.

    Syntax errors and `$ref`s that resolve nowhere become problems with file and line;
    a missing root file is a GuardError (the configuration names a file that is not there).
    """
    contract = Contract(root=posixpath.normpath(root), rev_label=rev_label)
    pending = [(contract.root, None, None)]      # (file, referring file, line)
    refs: list[tuple[str, Any, str]] = []
    while pending:
        rel, referrer, ref_line = pending.pop()
        if rel in contract.files:
            continue
        if rel.startswith("../") or rel == ".." or posixpath.isabs(rel):
            contract.problems.append(Problem(referrer or rel, ref_line,
                                             f"$ref to {rel} points outside the repository"))
            continue
        raw = read(rel)
        if raw is None:
            if referrer is None:
                raise GuardError(f"the API contract {rel} does not exist ({rev_label})",
                                 path=rel, hint="fix guard.contract.path (or api.spec), or "
                                                "commit the contract")
            contract.problems.append(Problem(referrer, ref_line,
                                             f"$ref to {rel}, which does not exist"))
            continue
        contract.files[rel] = raw
        try:
            doc = yamlfile.load(raw, rel)
        except GuardError as exc:
            contract.problems.append(Problem(rel, exc.line, exc.message))
            continue
        contract.docs[rel] = doc
        for node, ref in _walk_refs(doc):
            refs.append((rel, node, ref))
            target, _ = _split_ref(ref, rel)
            if "://" in target:
                continue
            pending.append((target, rel, _line(node, "$ref")))
    if contract.problems:
        return contract
    if not isinstance(contract.doc, dict):
        contract.problems.append(Problem(contract.root, 1,
                                         "the contract is not a mapping (OpenAPI document)"))
        return contract
    for rel, node, ref in refs:
        target, pointer = _split_ref(ref, rel)
        if "://" in target:
            contract.problems.append(Problem(rel, _line(node, "$ref"),
                                             f"$ref {ref!r} points to a remote URL; guard "
                                             "checks only contracts kept in the repository"))
            continue
        try:
            resolve_pointer(contract, target, pointer)
        except (KeyError, IndexError, ValueError):
            contract.problems.append(Problem(rel, _line(node, "$ref"),
                                             f"$ref {ref!r} resolves nowhere ({pointer or '/'} "
                                             f"does not exist in {target})"))
    return contract


def resolve_pointer(contract: Contract, file: str, pointer: str) -> Any:
    node = contract.docs[file]
    for part in _pointer_parts(pointer):
        node = _child(node, part)
    return node


# -- validation ----------------------------------------------------------------------------

def locate(contract: Contract, parts: list, instance: Any = None) -> tuple[str, int | None]:
    """file and line of the node at ``parts`` (from the root document), following `$ref`s
    into other files. Falls back to searching for the path as a suffix (validators report
    nested schema errors relative to the schema they checked)."""
    file, node = contract.root, contract.doc
    line = _line(node)
    try:
        for part in parts:
            part = str(part)
            seen = 0
            while isinstance(node, dict) and "$ref" in node and part not in node and seen < 20:
                file, pointer = _split_ref(node["$ref"], file)
                node = resolve_pointer(contract, file, pointer)
                seen += 1
            line = _line(node, part) or line
            node = _child(node, part)
        return file, line
    except (KeyError, IndexError, ValueError, TypeError):
        pass
    found = _find_suffix(contract, [str(p) for p in parts], instance)
    return found or (contract.root, None)


def _find_suffix(contract: Contract, parts: list[str], instance: Any):
    if not parts:
        return None

    def search(file: str, node: Any):
        try:
            cur, line = node, None
            for part in parts:
                line = _line(cur, part) or line
                cur = _child(cur, part)
            if instance is None or cur == instance:
                return file, line
        except (KeyError, IndexError, ValueError, TypeError):
            pass
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            hit = search(file, child)
            if hit:
                return hit
        return None

    for file, doc in contract.docs.items():
        hit = search(file, doc)
        if hit:
            return hit
    return None


def _short(message: str) -> str:
    first = message.strip().split("\n", 1)[0]
    return first if len(first) <= 200 else first[:197] + "..."


def _plain(err, doc, parts) -> str:
    """The validator's message, in plain words where it is a known riddle."""
    inst = doc
    for part in parts:                  # the node the error is about (err.instance is not
        try:                            # always it: openapi-spec-validator rewraps errors)
            inst = inst[part]
        except (KeyError, IndexError, TypeError):
            inst = err.instance
            break
    riddle = "is not valid under any of the schemas listed in the 'oneOf' keyword"
    if (err.validator == "oneOf" or riddle in str(err.message)) and isinstance(inst, dict):
        if "name" in inst and "in" in inst and "schema" not in inst and "content" not in inst:
            return (f"parameter `{inst['name']}` (in {inst['in']}) has neither `schema` nor "
                    "`content`: OpenAPI requires one of them, e.g. schema: {type: string}")
        if "$ref" not in inst:
            keys = ", ".join(sorted(map(str, inst))[:6])
            return f"this object ({keys}) matches none of the forms OpenAPI allows here"
    return _short(err.message)


def validate(contract: Contract, folder: str) -> list[Problem]:
    """openapi-spec-validator on the contract written under ``folder``."""
    if contract.problems:
        return list(contract.problems)
    doc = contract.doc
    version = contract.version
    if version is None:
        return [Problem(contract.root, 1, "neither `openapi:` (3.x) nor `swagger: \"2.0\"` at "
                                          "the top: this is not an OpenAPI document")]
    from jsonschema.exceptions import best_match
    from openapi_spec_validator.validation import (OpenAPIV2SpecValidator,
                                                   OpenAPIV30SpecValidator,
                                                   OpenAPIV31SpecValidator)
    if version == "2.0":
        cls = OpenAPIV2SpecValidator
    elif version.startswith("3.0"):
        cls = OpenAPIV30SpecValidator
    elif version.startswith("3.1"):
        cls = OpenAPIV31SpecValidator
    else:
        key = "swagger" if "swagger" in doc else "openapi"
        return [Problem(contract.root, _line(doc, key),
                        f"unsupported OpenAPI version {version!r}; guard checks 2.0, 3.0 and 3.1")]
    root_file = contract.write(folder)
    plain = json.loads(json.dumps(doc, default=str))
    problems: list[Problem] = []
    try:
        validator = cls(plain, base_uri="file://" + root_file)
        for err in validator.iter_errors():
            parts = list(err.path)
            shown = err
            if err.context:
                inner = best_match(err.context)
                if inner is not None:
                    shown = inner
                    parts = parts + list(inner.path)
            file, line = locate(contract, parts, shown.instance if shown is not err else None)
            where = "/".join(str(p) for p in parts) or "the top level"
            problems.append(Problem(file, line, f"{_plain(shown, plain, parts)} (at {where})"))
    except Exception as exc:   # referencing errors, recursion in the validator's resolver
        problems.append(Problem(contract.root, None,
                                f"the validator could not resolve the contract: "
                                f"{type(exc).__name__}: {_short(str(exc))}"))
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


# -- operations ----------------------------------------------------------------------------

def deref(contract: Contract, node: Any, file: str, depth: int = 0) -> tuple[Any, str]:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 50:
        file, pointer = _split_ref(node["$ref"], file)
        node = resolve_pointer(contract, file, pointer)
        depth += 1
    return node, file


def base_path(contract: Contract) -> str:
    doc = contract.doc
    if contract.version == "2.0":
        bp = doc.get("basePath") or ""
    else:
        servers = doc.get("servers") or []
        url = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
        if "://" in url:
            url = "/" + url.split("://", 1)[1].partition("/")[2]
        bp = url if url.startswith("/") else ""
    bp = bp.rstrip("/")
    return bp


@dataclass(frozen=True)
class Operation:
    method: str          # upper case
    path: str            # as written in the contract (without the base path)
    file: str
    line: int | None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def operations(contract: Contract) -> list[Operation]:
    paths = contract.doc.get("paths") or {}
    out = []
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/"):
            continue
        item_node, file = deref(contract, item, contract.root)
        if not isinstance(item_node, dict):
            continue
        for method in METHODS:
            if method in item_node:
                line = _line(item_node, method)
                out.append(Operation(method.upper(), path, file, line))
    return out
