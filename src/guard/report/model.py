"""The report: every fact a reporter may print, computed before any reporter runs."""

from types import MappingProxyType
from typing import NamedTuple

from guard.finding import Finding, at_or_above

SCHEMA_VERSION = 1


# NamedTuples (as FileChange and Finding): as immutable as frozen dataclasses and several
# times cheaper to define, which every run pays at import; the Report too (callers derive
# reports from it with _replace), so that no run, the Stop hook's above all, imports the
# dataclasses module (~12 ms with inspect, ast, dis and tokenize behind it).
class CheckResult(NamedTuple):
    name: str
    status: str          # passed | warnings | failed | skipped | error
    duration: float
    note: str = ""


class CommitInfo(NamedTuple):
    sha: str
    header: str
    body: str
    files: int
    author: str


class TestsResult(NamedTuple):
    status: str          # passed | failed | not run
    source: str          # where the result came from
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    detail: str = ""


class FileChange(NamedTuple):
    status: str          # added | modified | deleted | renamed | copied | type changed
    path: str
    old_path: str | None
    kind: str            # file | symlink | submodule


class Report(NamedTuple):
    tool_version: str
    root: str
    mode: str
    role: str
    role_title: str
    role_origin: str
    persona: str | None
    base_ref: str | None
    base: str | None
    merge_base: str | None
    head_ref: str
    head: str
    branch: str | None
    policy_source: str
    task: str | None
    fail_on: str
    findings: tuple[Finding, ...]
    checks: tuple[CheckResult, ...]
    changes: tuple[FileChange, ...]
    commits: tuple[CommitInfo, ...] = ()
    tests: TestsResult | None = None
    lint: TestsResult | None = None        # guard report: the lint/format run, or "not run"
    schema_version: int = SCHEMA_VERSION
    notes: tuple[str, ...] = ()
    # check name -> structured data it published (engine.run gives each report its own)
    facts: dict = MappingProxyType({})    # type: ignore[assignment]

    @property
    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] += 1
        return out

    @property
    def failed(self) -> bool:
        if self.fail_on == "never":
            return False
        return any(at_or_above(f.severity, self.fail_on) for f in self.findings)

    @property
    def title(self) -> str:
        return f"{self.persona} ({self.role_title})" if self.persona else self.role_title

    def commit_label(self) -> str:
        return f"{len(self.commits)} commit{'s' if len(self.commits) != 1 else ''}"
