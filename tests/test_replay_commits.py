"""Commit messages from replayed public histories (commitlint, vite) that guard misread, and
the config-conventional preset, on real repositories."""

from __future__ import annotations

from test_commits import check, per_commit, project

from gitrepo import run_guard

PRESET = "  commits:\n    preset: config-conventional\n"
# a 90-character header: over guard's 72, within config-conventional's 100
LONG = "fix(load): run the parser factory of scoped conventional-changelog presets (#4968)"


def test_replayed_messages_guard_misread(tmp_path):
    repo = project(tmp_path)
    cases = {
        # vite 2021: the subject says what the code does, it is not a do-not-merge marker
        "fix(build): do not merge non-module inline scripts into bundle": set(),
        "DO NOT MERGE: try the new bundler": {"COMMIT008"},
        "feat: do not merge": {"COMMIT008"},
        # vite: GitHub's revert of a commit whose type the project no longer uses
        'Revert "types: worker types" (#1295)\n\nThis reverts commit 1a2b3c4d5e6f.': set(),
        # commitlint 2019: the BREAKING CHANGE description on the lines below the token
        "style: validate rule configuration\n\nBREAKING CHANGE:\nDue to additional "
        "validation, ignored rule settings are now errors.": set(),
        # commitlint 2021: ... and after a blank line
        "fix(resolve-extends): resolve extends left to right\n\nBREAKING CHANGE:\n\n"
        "The order of the extends resolution is changed.": set(),
        "feat: drop node 16\n\nBREAKING CHANGE:": {"COMMIT015"},
    }
    for message in cases:
        repo.commit(message)
    got = per_commit(check(repo))
    for message, expected in cases.items():
        assert got[message.split("\n")[0]] == expected, message


def test_preset_config_conventional_limits_and_version_headers(tmp_path):
    for extra, header_rules, version_rules in (
            ("", {"COMMIT004"}, {"COMMIT001"}),
            (PRESET, set(), set()),
            (PRESET + "    header_max: 80\n", {"COMMIT004"}, set())):
        repo = project(tmp_path, extra=extra, name=f"p{len(extra)}")
        repo.commit(LONG)
        repo.commit("v21.2.0")
        got = per_commit(check(repo))
        assert got[LONG] == header_rules, extra
        assert got["v21.2.0"] == version_rules, extra


def test_preset_must_be_known(tmp_path):
    repo = project(tmp_path, extra="  commits:\n    preset: commitlint\n")
    repo.commit("feat: x")
    res = run_guard("check", "--base", "main", "--only", "commits", cwd=repo.path)
    assert res.code == 2 and "guard.commits.preset" in res.err


def test_explain_says_where_defaults_come_from(tmp_path):
    res = run_guard("explain", "COMMIT004", cwd=str(tmp_path))
    assert res.code == 0
    assert "72 under preset guard" in res.out and "100 under preset config-conventional" \
        in res.out
