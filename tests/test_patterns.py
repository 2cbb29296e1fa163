"""PatternSet pre-selects candidate patterns for speed; its answers must equal pathspec's
GitIgnoreSpec over the whole list, negation and gitignore's priorities included."""

import random

import pathspec
import pytest

from guard.errors import GuardError
from guard.patterns import PatternSet, Source, validate_pattern
from guard import patterns as patterns_mod
from guard.roles import load_roles

PATTERNS = ["src/server/", "src/api/", "!src/api/x/", "src/lib/server/", "Dockerfile",
            "docker-compose.yml", ".github/", "*.log", "src/**/gen/", "/root.txt", "a/*/b",
            "**/deep/", "Dockerfile.*", "!src/app/api/", "src/app/", "docs", "!docs/keep.md",
            "src/comp*/", "build*/", "!*.egg-info/", "\\#hash", "foo/bar", "x/y/z/", "!*.keep", "api", "knexfile.*", "!m.*", "v[0-9]*", "?.log"]
SEGMENTS = ["src", "server", "api", "x", "lib", "app", "docs", "keep.md", "Dockerfile",
            "Dockerfile.prod", ".github", "deep", "gen", "a", "b", "q", "root.txt", "comp1",
            "#hash", "foo", "bar", "y", "z", "m.log", "n.keep", "docker-compose.yml", "knexfile.js",
            "v[1].txt", "build1", "x.egg-info"]


def seeds(count: int, fast: int) -> list:
    """Seeds 0..count-1; the fast lane runs the first ``fast`` of them, the rest are slow (CI
    runs all): each seed is one more random sample of the same property."""
    return [*range(fast), *(pytest.param(s, marks=pytest.mark.slow) for s in range(fast, count))]


def agrees_with_pathspec(seed: int, pool: list[str], segments: list[str]) -> None:
    """guard's PatternSet decides 20,000 random paths (of ``segments``) as pathspec's
    GitIgnoreSpec does, for ``pool`` shuffled by ``seed``."""
    rng = random.Random(seed)
    patterns = rng.sample(pool, k=len(pool))
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    ours = PatternSet([Source(p, "t.yaml", i, "owned") for i, p in enumerate(patterns)])
    for _ in range(20000):
        path = "/".join(rng.choice(segments) for _ in range(rng.randint(1, 5)))
        expected = spec.check_file(path)
        expected = patterns[expected.index] if expected.include else None
        got = ours.decide(path)
        assert (got.pattern if got else None) == expected, path


@pytest.mark.parametrize("seed", seeds(3, 1))
def test_preselection_matches_pathspec_on_random_paths(seed):
    agrees_with_pathspec(seed, PATTERNS, SEGMENTS)


# `**/<name>/...`: pre-selected by the segment <name> (guard.commits.atomicity's defaults
# hold two such patterns, which every path used to reach pathspec through)
DEEP_PATTERNS = ["**/migrations/[0-9]*", "**/migrations/versions/", "!**/migrations/versions/x*",
                 "**/gen", "**/a/b/", "/migrations/", "db/migrate/", "**/v[0-9]/x", "**/*.sql",
                 "!**/gen/keep", "**/**/deep"]
DEEP_SEGMENTS = ["migrations", "versions", "0001.py", "x1", "gen", "keep", "a", "b", "v1",
                 "x", "q.sql", "db", "migrate", "deep", "src", "1"]


@pytest.mark.parametrize("seed", range(3))
def test_preselection_by_a_segment_after_a_leading_double_star(seed):
    agrees_with_pathspec(seed, DEEP_PATTERNS, DEEP_SEGMENTS)
    assert patterns_mod._literal_key("**/migrations/[0-9]*") == ("name", "migrations")
    assert patterns_mod._literal_key("**/m*/x") == ("any", None)


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


def test_builtin_and_default_patterns_pass_the_project_validation():
    """guard's own patterns (built-in role packs, the checks' defaults) are read without
    being compiled (trusted=True); here each one gets the full validation a project's
    pattern gets when it is read, compilation included."""
    from guard.checks import commits_spec, conventions_spec
    sources = [s for role in load_roles([]).values()
               for s in role.owned + role.forbidden + role.shared]
    assert len(sources) > 100 and all(s.file.startswith("builtin:") for s in sources)
    settings = conventions_spec.parse_config(None, file="company.config.yaml", line=None)
    sources += [s for kind in ("server_paths", "job_paths", "test_paths", "env_files")
                for s in getattr(settings, kind)]
    patterns = [s.pattern for s in sources] + [settings.env_example]
    patterns += list(commits_spec.parse_config(None, file="c", line=None, data={})
                     .atomicity.migrations)
    for pattern in patterns:
        assert validate_pattern(pattern, file="x", line=1) == pattern


def test_trusted_pattern_that_does_not_compile_fails_when_matched():
    # `[z-a]` converts to regular-expression text that `re` refuses. Trusted, it is read
    # without compiling; the first path it is matched against raises the error, naming
    # where the pattern was written, as reading a project's pattern does.
    for bad in ("src/[z-a].py", "[z-a].py", "**/[z-a]/"):
        with pytest.raises(GuardError) as exc:
            validate_pattern(bad, file="company.config.yaml", line=4)
        assert (exc.value.path, exc.value.line) == ("company.config.yaml", 4)
        assert validate_pattern(bad, file="rules/x.yaml", line=3, trusted=True) == bad
        ps = PatternSet([Source("src/", "rules/x.yaml", 2, "owned"),
                         Source(bad, "rules/x.yaml", 3, "owned")])
        assert ps.special_names() is not None and ps.name_globs() is not None
        with pytest.raises(GuardError) as exc:
            ps.decide("src/a.py")
        assert (exc.value.path, exc.value.line) == ("rules/x.yaml", 3)
        assert f"bad pattern {bad!r}" in str(exc.value)


# patterns that are candidates for every path (a leading **, an escape): with one of them
# in a set, no folder has a single answer and every path is decided alone
EVERYWHERE = {"**/deep/", "\\#hash"}


def _policy(rng, *, task: bool, pool=PATTERNS):
    from guard import config
    from guard.policy import Policy, TaskScope
    from guard.roles import Role

    def pick(kind):
        return tuple(Source(p, "t.yaml", i, kind)
                     for i, p in enumerate(rng.sample(pool, k=rng.randint(0, 9))))
    role = Role("r", "R Engineer", None, (), pick("owned"), pick("forbidden"), pick("shared"),
                "error", "t.yaml")
    scope = TaskScope("task.yaml", None, pick("task-allowed"), pick("task-forbidden")) \
        if task else None
    return Policy(config.load(None), {"r": role}, role, "--role", scope, "test", None)


@pytest.mark.parametrize("seed", seeds(8, 2))
def test_policy_folder_answers_equal_path_by_path_answers(seed):
    """Policy.decide answers once per folder where the folder decides; on random policies
    (globs, negations, name patterns, task scopes) and random paths, in random order (the
    cache fills as it goes), it must give exactly what deciding each path alone gives."""
    rng = random.Random(seed)
    pool = PATTERNS if seed >= 4 else [p for p in PATTERNS if p not in EVERYWHERE]
    policy = _policy(rng, task=seed % 2 == 1, pool=pool)
    fresh = _policy(random.Random(seed), task=seed % 2 == 1, pool=pool)   # same, empty cache
    for _ in range(20000):
        path = "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.05:
            path += "/"    # a folder probe, as the symlink check and explain make
        assert policy.decide(path) == fresh.decide_path(path), path
    from guard.policy import _MIXED
    folder_hits = sum(1 for v in policy._by_folder.values() if v is not _MIXED)
    if pool is not PATTERNS:
        assert folder_hits > 0   # the folder answers were really used


def test_policy_folder_answers_on_the_builtin_packs():
    roles = load_roles([])
    from guard import config
    from guard.policy import Policy
    rng = random.Random(11)
    segments = ["src", "server", "api", "app", "components", "types", "pages", ".github",
                "workflows", "deploy", "k8s", "Dockerfile", "docker-compose.yml", "x.py",
                "tests", "integration", "prisma", "schema.prisma", ".env.example", "docs",
                "knexfile.js", "drizzle.config.ts", "migrations", "shared", "moved"]
    for role in roles.values():
        policy = Policy(config.load(None), roles, role, "--role", None, "test", None)
        fresh = Policy(config.load(None), roles, role, "--role", None, "test", None)
        for _ in range(5000):
            path = "/".join(rng.choice(segments) for _ in range(rng.randint(1, 5)))
            assert policy.decide(path) == fresh.decide_path(path), (role.name, path)


# plain shapes (literal paths and folders, single-segment * and ? globs), negated and not,
# and shapes that must go to pathspec; names with newlines, spaces, dots and a trailing newline
PLAIN_POOL = ["src/api/", "src/api", "/root.txt", "/docs/", "docs", "docs/", "Dockerfile",
              "!docs/keep.md", "!src/api/x/", "a b/c", "x.y", "knexfile.*", "?.log", "*.md",
              "!*.keep", "de*ploy/", "a\nb", "keep.md", "src", "!src/", "b/", "/x/y/"]
NOT_PLAIN = ["src/**/gen/", "a/*/b", "\\#hash", "v[0-9]*", "**/deep/", "a//b", "/", "src/*", "*",
             "**", "!*"]
PLAIN_SEGMENTS = ["src", "api", "x", "y", "docs", "keep.md", "Dockerfile", "root.txt", "a b",
                  "c", "x.y", "knexfile.js", "a.log", "ab.log", "r.md", "n.keep", "deploy",
                  "deXploy", "a\nb", "b", "docs\n", "a\nb\n", ".", ""]


def test_plain_patterns_compile_to_pathspecs_regex_semantics():
    """Each plain pattern matches exactly the paths pathspec's compiled pattern matches, with
    the same dir mark; the other shapes are left to pathspec."""
    from guard.patterns import _plain
    rng = random.Random(3)
    for text in NOT_PLAIN:
        assert _plain(text) is None, text
    for text in PLAIN_POOL:
        ours = _plain(text)
        assert ours is not None, text
        theirs = patterns_mod._compile(text)   # pathspec's pattern, compiled with DOTALL
        assert ours.include == theirs.include, text
        for _ in range(3000):
            path = "/".join(rng.choice(PLAIN_SEGMENTS) for _ in range(rng.randint(1, 4)))
            if rng.random() < 0.1:
                path += "/"
            a, b = ours.match_file(path), theirs.match_file(path)
            assert (a is None) == (b is None), (text, path)
            mark = b is not None and bool(b.match.groupdict().get("ps_d"))
            assert ours.priority(path) == (0 if b is None else 1 if mark else 2), (text, path)


@pytest.mark.parametrize("seed", range(6))
def test_plain_pattern_lists_answer_as_gitignorespec(seed):
    """Lists of plain patterns, decided without pathspec, give GitIgnoreSpec.check_file's
    answer (which pattern, or none) on random paths: its priorities between a match of
    the path and a match through a folder, negations, last match wins."""
    import guard.patterns as pm
    rng = random.Random(seed)
    # (as guard's patterns can be: no newline in a pattern; and paths as git gives them)
    pool = [p for p in PLAIN_POOL if "\n" not in p]
    segments = [s for s in PLAIN_SEGMENTS if not s.endswith("\n") and s not in (".", "")]
    patterns = rng.sample(pool, k=rng.randint(2, len(pool)))
    spec = pathspec.GitIgnoreSpec([patterns_mod._compile(p) for p in patterns])  # DOTALL
    ours = PatternSet([Source(p, "t.yaml", i, "owned") for i, p in enumerate(patterns)])
    for _ in range(6000):
        path = "/".join(rng.choice(segments) for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.05:
            path += "/"    # a folder probe
        expected = spec.check_file(path)
        expected = patterns[expected.index] if expected.include else None
        got = ours.decide(path)
        assert (got.pattern if got else None) == expected, (patterns, path)
    assert all(isinstance(spec, list) for spec in ours._specs.values())   # none via pathspec
    assert pm._gitignore_answer([pm._plain("src/"), pm._plain("!src/api/")],
                                "src/api/x.py") is None


def test_a_write_hook_under_plain_patterns_does_not_import_pathspec(tmp_path):
    """The built-in packs and a project's plain patterns are decided without pathspec: the
    PreToolUse hook (every tool call) does not pay its import, nor that of dataclasses."""
    import json
    import subprocess
    import sys

    from gitrepo import backend_project, git_env
    cfg = ("guard:\n  role: backend\n  forbidden:\n    - paths: [src/api/legacy/, '!src/api/"
           "legacy/README.md', knexfile.*]\n")
    repo = backend_project(str(tmp_path / "p"), config=cfg)
    code = ("import sys\nfrom guard.console import main\nrc = main(['hook', 'claude'])\n"
            "print('PATHSPEC', 'pathspec' in sys.modules, 'DATACLASSES', "
            "'dataclasses' in sys.modules, 'RC', rc, file=sys.stderr)\n")
    for target, rc in (("src/api/orders.py", 0), ("src/components/B.tsx", 2),
                       ("src/api/legacy/x.py", 2), ("src/api/legacy/README.md", 0),
                       ("> src/components/B.tsx", 2)):
        tool = {"file_path": f"{repo.path}/{target}", "content": "x"}
        if target.startswith(">"):          # a Bash redirection
            tool = {"command": f"echo x {target}"}
        payload = json.dumps({"hook_event_name": "PreToolUse", "cwd": repo.path,
                              "tool_name": "Bash" if "command" in tool else "Write",
                              "tool_input": tool})
        proc = subprocess.run([sys.executable, "-c", code], input=payload,
                              capture_output=True, text=True, cwd=repo.path, env=git_env())
        assert proc.stderr.endswith(f"PATHSPEC False DATACLASSES False RC {rc}\n"), \
            (target, proc.stderr)
