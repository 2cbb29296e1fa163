"""Credentials in text: known token formats anywhere, and literal values assigned to
password/secret/token keys in configuration and server code."""

import bisect
import math
import re
from collections import Counter
from typing import NamedTuple

from guard.lazyre import Pattern

TOKENS: tuple[tuple[str, Pattern], ...] = (
    ("private key", Pattern(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key id", Pattern(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("AWS secret access key", Pattern(
        r"(?i)aws_?secret_?access_?key['\"]?\s*[:=]\s*['\"]?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")),
    ("GitHub token", Pattern(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})\b")),
    ("Slack token", Pattern(r"\bxox[baprse]-[A-Za-z0-9-]{10,}")),
    ("Slack webhook URL", Pattern(
        r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{8,}")),
    ("Stripe key", Pattern(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b")),
    ("Google API key", Pattern(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("OpenAI/Anthropic API key", Pattern(r"\bsk-(?:proj|ant-api\d\d)-[A-Za-z0-9_\-]{32,}")),
)
# substring checks first (C speed); the regexes run only on files that pass them
_TOKEN_WORDS = ("PRIVATE KEY", "AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghu_", "ghs_",
                "ghr_", "github_pat_", "xox", "hooks.slack.com", "k_live_", "k_test_", "AIza",
                "sk-proj", "sk-ant")
_KEY_WORDS = ("passw", "pwd", "secret", "token", "apikey", "api_key", "accesskey", "access_key",
              "privatekey", "private_key", "credential", "authkey", "auth_key")

# on the lower-cased text: plain alternation, no case folding in the regex engine
_KEY_HINT = Pattern(r"passw|pwd|secret|token|api_?key|apikey|access_?key|private_?key|"
                       r"credential|auth_?key")
# KEY = "value", KEY: value, KEY=value, "KEY": "value"  (quoted or bare, depending on the file)
# The key is the whole run of key characters, checked for a key word afterwards: a pattern
# with the key word in the middle of two `[...]*` is cubic on a line like `# tokentoken...`.
_ASSIGN = Pattern(r"""(?ix)
    (?<![A-Za-z0-9_.\-])(?P<key>[A-Za-z0-9_.\-]+)['"]?\s*(?::=|=>|=|:)\s*
    (?:(?P<q>['"])(?P<qv>[^'"\n]{6,}?)(?P=q)|(?P<bv>[^\s'"`#,;]{6,}))""")
_PLACEHOLDER = Pattern(r"(?i)change_?(?:me|this)|example|placeholder|your[_\-]|xxx|dummy|sample|"
                          r"redacted|todo|fixme|fake|<|>|\$\{|\{\{|%\(|\*\*\*|\.\.\.|"
                          r"^(?:none|null|true|false|password|postgres|secret|admin|root|test|"
                          r"testing|dev|local|guest|required|optional|string|str|bytes)$")
_CODE_EXPR = Pattern(r"[().\[\]]|^(?:os|process|env|settings|config|self|this|request|req)\b")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".properties",
                   ".env", ".xml", ".tfvars")


class Hit(NamedTuple):
    line: int
    kind: str
    shown: str         # redacted: never the whole secret


def _entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def redact(secret: str) -> str:
    return f"{secret[:4]}… ({len(secret)} characters)" if len(secret) > 8 else "…"


def is_config(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith(".env") or name.endswith(CONFIG_SUFFIXES) or name in (
        "Dockerfile", "docker-compose.yml")


def _generic_ok(key: str, value: str, quoted: bool, config: bool) -> bool:
    """True when ``value`` looks like a real credential for ``key``."""
    if not quoted and not config:
        return False                      # in code only a string literal is a value
    if _PLACEHOLDER.search(value) or (not quoted and _CODE_EXPR.search(value)):
        return False
    low = key.lower()
    if "passw" in low or "pwd" in low:
        return len(value) >= 6
    return len(value) >= 12 and _entropy(value) >= 3.0


def scan(text: str, path: str, *, generic: bool) -> list[Hit]:
    hits: list[Hit] = []
    starts = None

    def line_of(pos: int) -> int:
        nonlocal starts
        if starts is None:
            starts = [0] + [m.end() for m in re.finditer("\n", text)]
        return bisect.bisect_right(starts, pos)

    low = text.lower() if generic or "ws" in text or "WS" in text else ""
    if any(map(text.__contains__, _TOKEN_WORDS)) or ("aws" in low and "secret" in low):
        for kind, pattern in TOKENS:
            for m in pattern.finditer(text):
                secret = m.group(m.lastindex or 0)
                if "EXAMPLE" in secret:      # AWS's documented example key
                    continue
                hits.append(Hit(line_of(m.start()), kind,
                                "-----BEGIN … PRIVATE KEY-----" if kind == "private key"
                                else redact(secret)))
    if generic and any(map(low.__contains__, _KEY_WORDS)):
        config = None
        done = -1
        for hint in _KEY_HINT.finditer(low):
            if hint.start() < done:
                continue                  # this line was looked at already
            start = text.rfind("\n", 0, hint.start()) + 1
            end = text.find("\n", hint.end())
            end = len(text) if end < 0 else end
            done = end
            if config is None:
                config = is_config(path)
            pos = start
            while True:
                m = _ASSIGN.search(text, pos, end)
                if m is None:
                    break
                if not _KEY_HINT.search(m.group("key").lower()):
                    pos = m.end("key")       # not a secret's key; one may follow it
                    continue
                pos = m.end()
                quoted = m.group("q") is not None
                key, value = m.group("key"), m.group("qv") if quoted else m.group("bv")
                if not quoted and value.startswith("${"):
                    pos = m.start("bv") + 2      # look inside: ${KEY:-default}
                    continue
                if not quoted and text[m.start("key") - 2:m.start("key")] == "${":
                    # shell/Compose interpolation: ${KEY:?message} reads KEY (the message
                    # is no value); ${KEY:-default} and ${KEY:=default} give KEY a default
                    if value.startswith("-"):
                        value = value[1:]
                    elif "=" not in text[m.end("key"):m.start("bv")]:
                        continue
                    value = value.split("}", 1)[0]
                if _generic_ok(key, value, quoted, config):
                    hits.append(Hit(line_of(m.start("qv" if quoted else "bv")),
                                    f"literal value for {key}", redact(value)))
    seen, out = set(), []
    for hit in hits:
        if hit.line not in seen:
            seen.add(hit.line)
            out.append(hit)
    return out
