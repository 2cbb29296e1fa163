"""Zero-config contract checks: the app found where the project says it (on the trusted
base), `contract.app_dir`, and `.env` loading with python-dotenv's semantics."""

import io
import os

import pytest

from guard.checks.contract import envfile


# -- .env ------------------------------------------------------------------------------------

ENV_CASES = [
    ("A=1\nB = two words \nC=x # comment\nD=x#kept\n",
     {"A": "1", "B": "two words", "C": "x", "D": "x#kept"}),
    ("export E=5\nF=\nG\n# comment\n\n", {"E": "5", "F": ""}),
    ('H="a\\nb"\nI=\'lit ${A}\'\nJ="${A}-x"\nA=9\nK=${A}\nL=${NOPE:-dflt}\n',
     {"H": "a\nb", "I": "lit ", "J": "-x", "A": "9", "K": "9", "L": "dflt"}),
    ('M="multi\nline"\nN=after\n', {"M": "multi\nline", "N": "after"}),
    ("O='it\\'s'\nP=\"q\\\"q\"\nQ=\"x\" # c\n", {"O": "it's", "P": 'q"q', "Q": "x"}),
    ("bad line here\nR=ok\n", {"R": "ok"}),
    ("S=${GUARD_TEST_OUTER}\nT=\"${S}y\"\n", {"S": "outer", "T": "outery"}),
    ("U=a=b\nV=  spaced  \nW=\"\"\nX=''\n", {"U": "a=b", "V": "spaced", "W": "", "X": ""}),
    ('Y="unclosed\nZ=1\n', {"Z": "1"}),
]


@pytest.mark.parametrize("text,want", ENV_CASES)
def test_env_file_reads_as_python_dotenv(text, want):
    environ = {"GUARD_TEST_OUTER": "outer"}
    assert envfile.values(text, environ) == want
    try:
        import dotenv
    except ImportError:          # the reference is installed with the test extra's apps
        return
    old = os.environ.get("GUARD_TEST_OUTER")
    os.environ["GUARD_TEST_OUTER"] = "outer"
    try:
        ref = dotenv.dotenv_values(stream=io.StringIO(text))
    finally:
        if old is None:
            del os.environ["GUARD_TEST_OUTER"]
    assert {k: v for k, v in ref.items() if v is not None} == want


def test_env_file_reports_lines_it_skips():
    parsed = envfile.parse("A=1\nnot a line\nB='x' trailing\nC=2\n")
    assert [e.key for e in parsed.entries] == ["A", "C"]
    assert parsed.bad_lines == (2, 3)
