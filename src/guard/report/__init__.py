"""Reporters: one module per format, each a function Report -> str. They only format."""

from __future__ import annotations

import importlib

REPORTERS: dict[str, str] = {
    "text": "guard.report.text:render",
    "json": "guard.report.jsonfmt:render",
    "markdown": "guard.report.markdown:render",
    "junit": "guard.report.junit:render",
    "sarif": "guard.report.sarif:render",
    "github": "guard.report.github:render",
    "agent": "guard.report.agent:render",
}


def render(fmt: str, report, **kwargs) -> str:
    module, func = REPORTERS[fmt].split(":")
    return getattr(importlib.import_module(module), func)(report, **kwargs)
