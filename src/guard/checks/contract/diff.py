"""Breaking changes between the base and head contracts, for reviewers.

Breaking for an existing client: a removed path or operation, a removed or retyped response
property, a new required parameter or request-body field, a request enum that lost values,
a success status code that changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guard.checks.contract.spec import METHODS, Contract, _line, deref


@dataclass(frozen=True)
class Change:
    operation: str       # "GET /items/{id}" or "/items/{id}"
    what: str
    file: str
    line: int | None


def _type(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    t = schema.get("type")
    if isinstance(t, list):
        return "|".join(sorted(str(x) for x in t))
    if t is None and "properties" in schema:
        return "object"
    return t


def _resolve(c: Contract, node: Any, file: str) -> tuple[Any, str]:
    try:
        return deref(c, node, file)
    except (KeyError, IndexError, ValueError):
        return None, file


def _params(c: Contract, item: dict, op: dict, file: str) -> dict[tuple[str, str], dict]:
    out = {}
    for source in (item.get("parameters") or [], op.get("parameters") or []):
        for raw in source if isinstance(source, list) else []:
            p, _ = _resolve(c, raw, file)
            if isinstance(p, dict) and "name" in p and "in" in p:
                out[(p["in"], str(p["name"]))] = p
    return out


def _json_schema(c: Contract, holder: Any, file: str) -> tuple[Any, str]:
    """The schema of a response / request body (OpenAPI 3 content or Swagger 2 schema)."""
    holder, file = _resolve(c, holder, file)
    if not isinstance(holder, dict):
        return None, file
    if "schema" in holder:
        return _resolve(c, holder["schema"], file)
    content = holder.get("content") or {}
    if isinstance(content, dict):
        for media in sorted(content, key=lambda m: (0 if "json" in str(m) else 1, str(m))):
            entry = content[media]
            if isinstance(entry, dict) and "schema" in entry:
                return _resolve(c, entry["schema"], file)
    return None, file


def _body_schema(c: Contract, op: dict, params: dict, file: str) -> tuple[Any, str, bool]:
    if "requestBody" in op:
        body, bfile = _resolve(c, op["requestBody"], file)
        schema, sfile = _json_schema(c, body, bfile)
        return schema, sfile, bool(isinstance(body, dict) and body.get("required"))
    for (where, _name), p in params.items():
        if where == "body":
            schema, sfile = _resolve(c, p.get("schema"), file)
            return schema, sfile, bool(p.get("required"))
    return None, file, False


def _response_props(bc, b, bf, hc, h, hf, prefix, out, depth=0):
    """Removed or retyped response properties, recursively (objects and array items)."""
    if depth > 8 or not isinstance(b, dict) or not isinstance(h, dict):
        return
    bt, ht = _type(b), _type(h)
    if bt and ht and bt != ht:
        what = f"response property `{prefix}`" if prefix else "response body"
        out.append(f"{what} changed type from {bt} to {ht}")
        return
    if bt == "array" or "items" in b:
        bi, bif = _resolve(bc, b.get("items"), bf)
        hi, hif = _resolve(hc, h.get("items"), hf)
        _response_props(bc, bi, bif, hc, hi, hif, f"{prefix}[]", out, depth + 1)
        return
    bprops = b.get("properties") or {}
    hprops = h.get("properties") or {}
    for name in bprops:
        where = f"{prefix}.{name}" if prefix else name
        if name not in hprops:
            out.append(f"response property `{where}` was removed")
            continue
        bp, bpf = _resolve(bc, bprops[name], bf)
        hp, hpf = _resolve(hc, hprops[name], hf)
        _response_props(bc, bp, bpf, hc, hp, hpf, where, out, depth + 1)
    for name in (b.get("required") or []):
        if name in hprops and name not in (h.get("required") or []):
            where = f"{prefix}.{name}" if prefix else name
            out.append(f"response property `{where}` is no longer required")


def _field(prefix: str, schema: dict) -> str:
    """A readOnly property is sent only in responses: it is a response field."""
    kind = "response" if schema.get("readOnly") is True else "request"
    return f"{kind} field `{prefix}`"


def _request_props(bc, b, bf, hc, h, hf, prefix, out, depth=0):
    """New required request fields and narrowed enums, recursively."""
    if depth > 8 or not isinstance(h, dict):
        return
    b = b if isinstance(b, dict) else {}
    if isinstance(b.get("enum"), list) and isinstance(h.get("enum"), list):
        lost = [v for v in b["enum"] if v not in h["enum"]]
        if lost:
            what = _field(prefix, h) if prefix else "request body"
            out.append(f"{what} enum lost {', '.join(map(repr, lost))}")
    bt, ht = _type(b), _type(h)
    if bt and ht and bt != ht:
        what = _field(prefix, h) if prefix else "request body"
        out.append(f"{what} changed type from {bt} to {ht}")
        return
    hprops = h.get("properties") or {}
    bprops = b.get("properties") or {}
    breq = set(b.get("required") or [])
    for name in (h.get("required") or []):
        if name not in breq:
            where = f"{prefix}.{name}" if prefix else name
            prop, _ = _resolve(hc, hprops.get(name), hf)
            out.append(f"{_field(where, prop if isinstance(prop, dict) else {})} is newly "
                       "required")
    for name in hprops:
        if name in bprops:
            bp, bpf = _resolve(bc, bprops[name], bf)
            hp, hpf = _resolve(hc, hprops[name], hf)
            _request_props(bc, bp, bpf, hc, hp, hpf,
                           f"{prefix}.{name}" if prefix else name, out, depth + 1)


def _param_schema(p: dict) -> dict:
    return p.get("schema") if isinstance(p.get("schema"), dict) else p   # Swagger 2 inline


def breaking_changes(base: Contract, head: Contract) -> list[Change]:
    out: list[Change] = []
    bpaths = base.doc.get("paths") or {}
    hpaths = head.doc.get("paths") or {}
    for path, bitem_raw in bpaths.items():
        if not isinstance(path, str):
            continue
        bitem, bfile = _resolve(base, bitem_raw, base.root)
        if not isinstance(bitem, dict):
            continue
        if path not in hpaths:
            out.append(Change(path, "path was removed (with all its operations)", head.root,
                              _line(head.doc, "paths")))
            continue
        hitem, hfile = _resolve(head, hpaths[path], head.root)
        if not isinstance(hitem, dict):
            continue
        for method in METHODS:
            if method not in bitem:
                continue
            label = f"{method.upper()} {path}"
            if method not in hitem:
                out.append(Change(label, "operation was removed", hfile, _line(hitem)))
                continue
            bop, bof = _resolve(base, bitem[method], bfile)
            hop, hof = _resolve(head, hitem[method], hfile)
            if not isinstance(bop, dict) or not isinstance(hop, dict):
                continue
            line = _line(hitem, method)
            found: list[str] = []
            # parameters
            bparams = _params(base, bitem, bop, bof)
            hparams = _params(head, hitem, hop, hof)
            for key, hp in hparams.items():
                if key[0] == "body":
                    continue
                bp = bparams.get(key)
                if hp.get("required") and not (bp and bp.get("required")):
                    found.append(f"{key[0]} parameter `{key[1]}` is newly required")
                if bp:
                    bs, hs = _param_schema(bp), _param_schema(hp)
                    if isinstance(bs.get("enum"), list) and isinstance(hs.get("enum"), list):
                        lost = [v for v in bs["enum"] if v not in hs["enum"]]
                        if lost:
                            found.append(f"{key[0]} parameter `{key[1]}` enum lost "
                                         f"{', '.join(map(repr, lost))}")
                    if _type(bs) and _type(hs) and _type(bs) != _type(hs):
                        found.append(f"{key[0]} parameter `{key[1]}` changed type from "
                                     f"{_type(bs)} to {_type(hs)}")
            # request body
            bbody, bbf, breq = _body_schema(base, bop, bparams, bof)
            hbody, hbf, hreq = _body_schema(head, hop, hparams, hof)
            if hreq and not breq:
                found.append("request body is newly required")
            if hbody is not None:
                _request_props(base, bbody, bbf, head, hbody, hbf, "", found)
            # responses
            bresp = {str(k): v for k, v in (bop.get("responses") or {}).items()}
            hresp = {str(k): v for k, v in (hop.get("responses") or {}).items()}
            bsucc = sorted(k for k in bresp if k.startswith("2"))
            hsucc = sorted(k for k in hresp if k.startswith("2"))
            for code in bresp:
                if code not in hresp:
                    now = f" (success is now {', '.join(hsucc)})" if code in bsucc and hsucc \
                        else ""
                    found.append(f"response status {code} was removed{now}")
                    continue
                bs, bsf = _json_schema(base, bresp[code], bof)
                hs, hsf = _json_schema(head, hresp[code], hof)
                props: list[str] = []
                _response_props(base, bs, bsf, head, hs, hsf, "", props)
                found += [f"{p} (status {code})" for p in props]
            if bsucc and hsucc and not set(bsucc) & set(hsucc) and \
                    not any("was removed" in f and f.startswith("response status") for f in found):
                found.append(f"success status changed from {', '.join(bsucc)} to "
                             f"{', '.join(hsucc)}")
            for what in found:
                out.append(Change(label, what, hof, line))
    return out
