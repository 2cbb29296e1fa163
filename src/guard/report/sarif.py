"""SARIF 2.1.0: stable ruleId, a rules table from the registry, repo-relative URIs,
partialFingerprints that survive line moves."""

from __future__ import annotations

import json
from urllib.parse import quote

from guard.registry import RULES

LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> str:
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def render(report) -> str:
    used = {f.rule for f in report.findings}
    rules = [r for r in RULES if r.id in used] or []
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f in report.findings:
        result = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVELS[f.severity],
            "message": {"text": f"{f.message}. Next: {f.hint}"},
            "partialFingerprints": {"guardFinding/v1": f.fingerprint()},
            "properties": {"check": f.check, "severity": f.severity, "hint": f.hint},
        }
        if f.path:
            region = {"startLine": f.line} if f.line else None
            physical = {"artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"}}
            if region:
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
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
