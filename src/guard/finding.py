"""Findings are immutable values; checks yield them, the engine decides, reporters format."""

from typing import Any, NamedTuple

SEVERITIES = ("error", "warning", "info")
_RANK = {"error": 3, "warning": 2, "info": 1, "never": 4}


def rank(severity: str) -> int:
    return _RANK[severity]


def at_or_above(severity: str, threshold: str) -> bool:
    """True when a finding of ``severity`` should fail a run with ``--fail-on threshold``."""
    return rank(severity) >= rank(threshold)


class Finding(NamedTuple):
    """One problem: what (message), where (path, line), what to do next (hint).

    A NamedTuple rather than a frozen dataclass: equally immutable, and several times
    cheaper to build when a large change yields thousands of findings.
    """

    rule: str
    check: str
    severity: str
    message: str
    hint: str
    path: str | None = None
    line: int | None = None
    data: tuple[tuple[str, Any], ...] = ()

    def with_severity(self, severity: str) -> "Finding":
        return self._replace(severity=severity)

    def fingerprint(self) -> str:
        """Stable across runs and line moves: rule, path and message."""
        import hashlib      # here, not at import: OpenSSL's load costs every run ~3 ms
        raw = "\0".join((self.rule, self.path or "", self.message))
        return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def sort_key(self) -> tuple:
        return (-_RANK[self.severity], self.check, self.path or "", self.line or 0, self.rule,
                self.message)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "check": self.check,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }
        if self.data:
            out["data"] = dict(self.data)
        return out
