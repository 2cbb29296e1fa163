"""JSON: one object, schema documented in the README (schema version in `version`)."""

from __future__ import annotations

import json


def as_dict(report) -> dict:
    by_commit: dict[str, list[str]] = {}     # commit sha -> rule ids of its findings
    for f in report.findings:
        sha = next((v for k, v in f.data if k == "commit"), None) if f.data else None
        if sha:
            by_commit.setdefault(sha, []).append(f.rule)
    return {
        "version": report.schema_version,
        "tool": {"name": "guard", "version": report.tool_version},
        "mode": report.mode,
        "role": report.role,
        "role_title": report.role_title,
        "role_origin": report.role_origin,
        "persona": report.persona,
        "base": {"ref": report.base_ref, "sha": report.base},
        "merge_base": report.merge_base,
        "head": {"ref": report.head_ref, "sha": report.head},
        "branch": report.branch,
        "policy_source": report.policy_source,
        "task": report.task,
        "fail_on": report.fail_on,
        "failed": report.failed,
        "findings": [f.as_dict() for f in report.findings],
        "checks": [{"name": r.name, "status": r.status, "duration": r.duration,
                    **({"note": r.note} if r.note else {})} for r in report.checks],
        "summary": {**report.counts, "changed_paths": len(report.changes),
                    "commits": len(report.commits)},
        "changes": [{"status": c.status, "path": c.path, "old_path": c.old_path,
                     "kind": c.kind} for c in report.changes],
        "commits": [{"sha": c.sha, "header": c.header, "files": c.files, "author": c.author,
                     "findings": by_commit.get(c.sha, [])}
                    for c in report.commits],
        "facts": dict(report.facts),
        "tests": None if report.tests is None else {
            "status": report.tests.status, "source": report.tests.source,
            "tests": report.tests.tests, "failures": report.tests.failures,
            "errors": report.tests.errors, "skipped": report.tests.skipped},
        "lint": None if report.lint is None else {
            "status": report.lint.status, "source": report.lint.source,
            "detail": report.lint.detail},
    }


def render(report) -> str:
    # compact: json's C encoder only runs without indent (2-3x faster on large reports);
    # pipe through `python -m json.tool` or jq to read it. The report is a tree (as_dict's
    # dicts and the checks' published facts hold no reference cycles), so the encoder's
    # per-container cycle bookkeeping is skipped (~10 % of a large report's encoding).
    # ASCII out (non-ASCII as \uXXXX escapes): the C encoder's ASCII path is ~30 % faster on
    # a 6 MB report than writing UTF-8, and ASCII needs no encoding check.
    doc = as_dict(report)
    text = json.dumps(doc, separators=(",", ":"), default=str, check_circular=False)
    if "\\udc" not in text:
        return text + "\n"
    # maybe a file name that is not UTF-8 (kept byte-exact as lone surrogates inside guard;
    # the test also catches harmless cases, such as the second half of an emoji's escape):
    # its undecodable bytes become U+FFFD, so the report is valid JSON text
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str,
                      check_circular=False)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return json.dumps(json.loads(text), separators=(",", ":")) + "\n"
