"""A rule's documentation: the one source for `guard rules`, `guard explain`, SARIF and the
README catalogue."""

from typing import NamedTuple


class Rule(NamedTuple):
    id: str
    name: str
    check: str
    severity: str
    summary: str
    why: str
    wrong: str
    right: str

    def doc(self) -> str:
        return (f"{self.id} ({self.name}) — check: {self.check}, default severity: "
                f"{self.severity}\n\n{self.summary}\n\nWhy: {self.why}\n\n"
                f"Wrong:\n{_indent(self.wrong)}\n\nRight:\n{_indent(self.right)}\n")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip("\n").splitlines())
