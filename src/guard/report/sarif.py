"""SARIF 2.1.0: stable ruleId, a rules table from the registry, repo-relative URIs,
partialFingerprints that survive line moves."""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import quote

from guard.registry import RULES

LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> str:
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


# "at builtin:backend.yaml:24", "at company.config.yaml:8": messages cite the policy line that
# decided them; that line number is left out of the fingerprint.
_CITED_LINE = re.compile(r"(\bat [^\s()`]+?):\d+\b")


def fingerprints(findings) -> list[str]:
    """One partial fingerprint per finding: rule, path and message, with the policy line the
    message cites left out, so a comment added to company.config.yaml (or a newer rule pack)
    does not close and reopen every alert. Findings that are then alike (two unused
    suppressions of one rule in one file) are told apart by their order, as CodeQL does."""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        parts = [f.rule, f.path or "", _CITED_LINE.sub(r"\1", f.message)]
        base = _hash(parts)
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else _hash(parts + [str(seen[base])]))
    return out


def _hash(parts: list[str]) -> str:
    raw = "\0".join(parts)
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def render(report) -> str:
    used = {f.rule for f in report.findings}
    rules = [r for r in RULES if r.id in used] or []
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f, fingerprint in zip(report.findings, fingerprints(report.findings)):
        result = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVELS[f.severity],
            "message": {"text": f"{f.message}. Next: {f.hint}"},
            "partialFingerprints": {"guardFinding/v1": fingerprint},
            "properties": {"check": f.check, "severity": f.severity, "hint": f.hint},
        }
        if f.path:
            region = {"startLine": f.line} if f.line else None
            physical = {"artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"}}
            if region:
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
        related = dict(f.data).get("related") if f.data else None
        if related:
            # (path, line, what it is): e.g. the contract line a handler's failure is about
            result["relatedLocations"] = [{
                "id": i,
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(path), "uriBaseId": "%SRCROOT%"},
                    **({"region": {"startLine": line}} if line else {})},
                "message": {"text": text},
            } for i, (path, line, text) in enumerate(related)]
        results.append(result)
    run = {
        "tool": {"driver": {
            "name": "guard",
            "version": report.tool_version,
            "informationUri": "https://github.com/guard-linter/guard",
            "rules": [{
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.why},
                "help": {"text": r.doc(),
                         "markdown": f"**{r.id}** {r.summary}\n\n{r.why}\n\n"
                                     f"Wrong: {r.wrong}\n\nRight: {r.right}"},
                "defaultConfiguration": {"level": LEVELS[r.severity]},
                "properties": {"check": r.check},
            } for r in rules],
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + _uri(report.root.rstrip("/"))
                                             + "/"}},
        "results": results,
        "properties": {"role": report.role, "base": report.base, "mergeBase": report.merge_base,
                       "head": report.head},
    }
    if report.head and report.head != "INDEX":
        run["versionControlProvenance"] = [{"repositoryUri": "file://" + _uri(report.root),
                                            "revisionId": report.head}]
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False).encode(
        "utf-8", "surrogateescape").decode("utf-8", "replace") + "\n"
