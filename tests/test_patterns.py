"""PatternSet pre-selects candidate patterns for speed; its answers must equal pathspec's
GitIgnoreSpec over the whole list, negation and gitignore's priorities included."""

import random

import pathspec
import pytest

from guard.errors import GuardError
from guard.patterns import PatternSet, Source, validate_pattern
from guard.roles import load_roles

PATTERNS = ["src/server/", "src/api/", "!src/api/x/", "src/lib/server/", "Dockerfile",
            "docker-compose.yml", ".github/", "*.log", "src/**/gen/", "/root.txt", "a/*/b",
            "**/deep/", "Dockerfile.*", "!src/app/api/", "src/app/", "docs", "!docs/keep.md",
            "src/comp*/", "\\#hash", "foo/bar", "x/y/z/", "!*.keep", "api", "knexfile.*", "!m.*", "v[0-9]*", "?.log"]
SEGMENTS = ["src", "server", "api", "x", "lib", "app", "docs", "keep.md", "Dockerfile",
            "Dockerfile.prod", ".github", "deep", "gen", "a", "b", "q", "root.txt", "comp1",
            "#hash", "foo", "bar", "y", "z", "m.log", "n.keep", "docker-compose.yml", "knexfile.js",
            "v[1].txt"]


@pytest.mark.parametrize("seed", range(3))
def test_preselection_matches_pathspec_on_random_paths(seed):
    rng = random.Random(seed)
    patterns = rng.sample(PATTERNS, k=len(PATTERNS))
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    ours = PatternSet([Source(p, "t.yaml", i, "owned") for i, p in enumerate(patterns)])
    for _ in range(20000):
        path = "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(1, 5)))
        expected = spec.check_file(path)
        expected = patterns[expected.index] if expected.include else None
        got = ours.decide(path)
        assert (got.pattern if got else None) == expected, path


def test_builtin_role_packs_agree_with_pathspec():
    roles = load_roles([])
    rng = random.Random(7)
    segments = ["src", "server", "api", "app", "components", "types", "pages", ".github",
                "workflows", "deploy", "k8s", "Dockerfile", "docker-compose.yml", "x.py",
                "tests", "integration", "prisma", "schema.prisma", ".env.example", "docs"]
    for role in roles.values():
        for kind in ("owned", "forbidden", "shared"):
            sources = getattr(role, kind)
            patterns = [s.pattern for s in sources]
            spec = pathspec.GitIgnoreSpec.from_lines(patterns)
            ours = PatternSet(sources)
            for _ in range(3000):
                path = "/".join(rng.choice(segments) for _ in range(rng.randint(1, 4)))
                expected = spec.check_file(path)
                expected = patterns[expected.index] if expected.include else None
                got = ours.decide(path)
                assert (got.pattern if got else None) == expected, (role.name, kind, path)


@pytest.mark.parametrize("bad", ["", "   ", "!", "../x", "./src/", "src/../x", "#comment", "\\"])
def test_bad_patterns_name_file_and_line(bad):
    with pytest.raises(GuardError) as exc:
        validate_pattern(bad, file="company.config.yaml", line=12)
    assert exc.value.path == "company.config.yaml" and exc.value.line == 12
