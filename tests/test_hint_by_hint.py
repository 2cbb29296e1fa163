"""Hint by hint (issue 16): for every rule, either a test that seeds the violation on a real
repository, follows the finding's next step as guard printed it (the hint's own words: the
header in backticks, the command in parentheses, the version it names), runs guard again
and finds the finding gone with no new error, or a line in EXCLUDED saying why not.

COVERAGE below is the one table. A rule id the registry gains without an entry fails
test_every_rule_has_a_mechanical_test_or_a_reason."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys

import pytest

from gitrepo import BACKEND_CONFIG, backend_project, run_guard

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import agent_loop  # noqa: E402

slow = pytest.mark.slow

# rule -> the test (in this module, or "test_agent_loop.py::name") that follows its hint
TESTED = {
    "SCOPE001": "test_agent_loop.py::test_scope001_drop_the_commit_that_only_makes_the_change",
    "SCOPE003": "test_scope003_remove_the_unowned_file",
    "SCOPE004": "test_scope004_revert_the_file_outside_the_task",
    "SCOPE005": "test_scope005_remove_the_link",
    "SCOPE006": "test_scope006_drop_the_change_and_its_undoing",
    "POLICY001": "test_agent_loop.py::test_policy001_revert_the_policy_edit",
    "POLICY002": "test_policy002_the_staff_engineer_removes_it_on_the_base",
    "COMMIT001": "test_agent_loop.py::test_commit001_use_the_header_the_hint_proposes",
    "COMMIT002": "test_commit_header_in_backticks",
    "COMMIT003": "test_commit_header_in_backticks",
    "COMMIT004": "test_commit004_shorten_and_move_the_detail_into_the_body",
    "COMMIT005": "test_commit_header_in_backticks",
    "COMMIT006": "test_commit006_insert_the_blank_line",
    "COMMIT007": "test_agent_loop.py::test_commit007_wrap_at_the_limit_the_message_names",
    "COMMIT008": "test_agent_loop.py::test_commit008_squash_into_the_commit_it_continues",
    "COMMIT009": "test_commit009_rebase_instead_of_merging",
    "COMMIT010": "test_commit010_add_the_trailer_the_hint_names",
    "COMMIT011": "test_agent_loop.py::test_scope001_and_commit011_agree_on_a_mixed_commit",
    "COMMIT012": "test_commit012_commit_the_work",
    "COMMIT013": "test_commit_header_in_backticks",
    "COMMIT014": "test_commit014_name_the_reverted_commit",
    "COMMIT015": "test_commit015_write_the_footer_as_shown",
    "COMMIT016": "test_commit_header_in_backticks",
    "COMMIT017": "test_commit_header_in_backticks",
    "CONV001": "test_agent_loop.py::test_conv001_follow_the_port_fix_announces_the_shared_file",
    "CONV002": "test_conv002_write_the_line_as_shown",
    "CONV003": "test_conv003_rename_the_variable",
    "CONV004": "test_conv004_document_the_variable",
    "CONV010": "test_conv010_untrack_ignore_and_document",
    "MIG001": "test_agent_loop.py::test_mig001_restore_and_add_a_new_migration",
    "MIG002": "test_mig002_restore_the_removed_migration",
    "MIG003": "test_mig_renumber_as_the_hint_says",
    "MIG004": "test_mig_renumber_as_the_hint_says",
    "MIG005": "test_mig_renumber_as_the_hint_says",
    "MIG101": "test_agent_loop.py::test_mig101_take_the_drop_out_no_rename_proposed",
    "MIG112": "test_mig112_create_the_index_concurrently",
    "CONTRACT003": "test_contract003_revert_the_contract_edit",
    "CONTRACT023": "test_contract_api_style_steps_followed_on_the_owners_branch",
    "CONTRACT022": "test_contract_api_style_steps_followed_on_the_owners_branch",
    "CONTRACT021": "test_contract_api_style_steps_followed_on_the_owners_branch",
    "MIG110": "test_mig110_add_the_column_with_a_default",
    "MIG113": "test_mig113_index_the_foreign_key_as_mig112_asks",
    "MIG103": "test_mig103_take_the_drop_schema_out",
    "MIG013": "test_mig013_the_ignore_names_the_rule_of_its_statement",
    "TENANT004": "test_tenant004_add_the_tenant_condition",
    "TENANT001": "test_tenant001_add_the_tenant_column",
    "CONV012": "test_conv012_point_the_start_command_at_the_app",
    "CONV009": "test_conv009_remove_the_credential_and_rewrite_the_history",
    "REPORT014": "test_report_hints_followed_one_by_one_give_an_honest_report",
    "REPORT013": "test_report_hints_followed_one_by_one_give_an_honest_report",
    "REPORT008": "test_report_hints_followed_one_by_one_give_an_honest_report",
    "REPORT006": "test_report_hints_followed_one_by_one_give_an_honest_report",
    "REPORT005": "test_report_hints_followed_one_by_one_give_an_honest_report",
    "REPORT004": "test_report_hints_followed_one_by_one_give_an_honest_report",
    "REPORT003": "test_report_hints_followed_one_by_one_give_an_honest_report",
    "REPORT002": "test_report_hints_followed_one_by_one_give_an_honest_report",
    "REPORT001": "test_report_hints_followed_one_by_one_give_an_honest_report",
}

# rule -> why no test follows its hint mechanically
EXCLUDED = {
    # the next step is to tell someone, not to change the branch
    "SCOPE002": "coordination only: announce the shared change (the hint names no edit)",
    "SCOPE007": "coordination only, or a redesign (move the call behind an API route)",
    "POLICY003": "cannot fire: no planned check exists in this version (PLANNED_CHECKS is "
                 "empty), so no configuration section is reserved",
    "CONTRACT001": "info: configuring the contract is a policy edit on the trusted base "
                   "(company.config.yaml), not the branch's: done on the branch it is POLICY001",
    "CONTRACT009": "info: nothing for this branch (inherited failures)",
    "CONTRACT010": "info: nothing for this branch (route gaps the base already has)",
    "CONTRACT024": "info: nothing for this branch (the base's own departures)",
    "MIG014": "info: nothing to do",
    "MIG015": "the step is the migration's own content (commit it as a regular file), which "
              "the hint cannot write; tests/test_hostile_review.py runs the attack",
    # the step is a piece of design or code the hint cannot write
    "CONV005": "judgement: a retry policy for the job (which exceptions, how many tries)",
    "CONV006": "judgement: an idempotency key checked before the job's side effects",
    "CONV007": "judgement: failure handling (a dead-letter queue, an on_failure handler)",
    "CONV008": "judgement: the tests to write",
    "CONV011": "judgement: the syntax fix",
    "MIG006": "judgement: which revision the new migration follows (framework-specific "
              "graph edit, or a merge migration a framework tool writes)",
    "MIG007": "judgement: which revision the migration's parent is",
    "MIG008": "judgement: the SQL of the down step",
    "MIG009": "judgement: the SQL of the down step",
    "MIG010": "judgement: the SQL of the down step or the rollback notes",
    "MIG011": "judgement: the syntax fix",
    "MIG012": "needs drizzle-kit (not installed) to regenerate the journal",
    "MIG020": "needs the framework's generator (alembic/makemigrations/prisma/drizzle-kit)",
    "MIG021": "judgement: the seed rows",
    "MIG102": "judgement: a multi-release plan (stop using the column, drop it later)",
    "MIG104": "judgement: a data task with a backup",
    "MIG105": "judgement: the WHERE clause",
    "MIG106": "judgement: the WHERE clause and the batches",
    "MIG107": "judgement: a multi-release plan (new table or view, move the code)",
    "MIG108": "judgement: a multi-release plan (new column, backfill, switch the code)",
    "MIG109": "judgement: a multi-release plan (new column, backfill, switch the code)",
    "MIG111": "judgement: the duplicate check and index build",
    # need a database or a running app
    "MIG030": "needs a database run (--verify-migrations); the fix is the down step's SQL",
    "MIG031": "needs a database run (--verify-migrations); the fix is the statement",
    "MIG032": "needs a database run (--verify-migrations); the fix is the down step's SQL",
    "MIG033": "needs a database run (--verify-migrations); the fix is the environment",
    "MIG034": "needs a database run (--verify-migrations)",
    "CONTRACT002": "judgement: the contract is the Staff Engineer's (stop and report)",
    "CONTRACT004": "judgement: keep the old shape or version the endpoint",
    "CONTRACT005": "needs the app running (schemathesis); the fix is the handler's code",
    "CONTRACT006": "needs the app's route inventory; the fix is removing the route's code",
    "CONTRACT007": "needs the app running (schemathesis); benchmarks/agent_loop.py follows "
                   "it on the demo (test_agent_loop.py::test_demo_loop_passes_honestly)",
    "CONTRACT008": "judgement: the import or start command",
    "CONTRACT020": "judgement: the contract is the Staff Engineer's (path in the contract)",
    # multi-tenancy: each fix is a schema or query design
    "TENANT002": "judgement: the row-level security policy",
    "TENANT003": "judgement: which tenant value filters the query",
    # hand-off reports: guard report writes the report; verify-report hints are edits of
    # prose the agent writes
    "REPORT007": "configuration: guard.tests is the Staff Engineer's policy, or a JUnit "
                 "file from a test run",
    "REPORT009": "judgement: fix the implementation or disclose the deviation",
    "REPORT010": "configuration: the check is the Staff Engineer's policy",
    "REPORT011": "prose: the migration notes (guard report writes them)",
    "REPORT012": "prose: the migration notes",
    "REPORT020": "prose: the queue topology (guard report prints it)",
    "REPORT021": "prose: the queue topology (guard report prints it)",
}
EXCLUDED = {k: v for k, v in EXCLUDED.items() if v is not None}


def test_every_rule_has_a_mechanical_test_or_a_reason():
    from guard.registry import RULES
    ids = {r.id for r in RULES}
    missing = sorted(ids - set(TESTED) - set(EXCLUDED))
    assert not missing, (f"rules with neither a hint-by-hint test nor a reason in "
                         f"tests/test_hint_by_hint.py: {missing}")
    assert not set(TESTED) & set(EXCLUDED), set(TESTED) & set(EXCLUDED)
    assert not (set(TESTED) | set(EXCLUDED)) - ids, "entries for rules that do not exist"
    here = os.path.dirname(__file__)
    for rule, test in TESTED.items():
        module, _, name = test.rpartition("::")
        source = open(os.path.join(here, module or os.path.basename(__file__))).read()
        assert f"def {name}(" in source, f"{rule}: no test named {test}"
    for rule, why in EXCLUDED.items():
        assert why.strip(), rule


# -- helpers: guard as the agent sees it ---------------------------------------------------
def findings(repo, only, *args):
    res = run_guard("check", "--format", "json", "--base", "main", "--only", only, *args,
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)["findings"]


def one(found, rule):
    return next(f for f in found if f["rule"] == rule)


def errors(found):
    return {(f["rule"], f["path"] or f.get("data", {}).get("header")) for f in found
            if f["severity"] == "error"}


def assert_fixed(before, after, rule):
    assert not any(f["rule"] == rule for f in after), after
    new = errors(after) - errors(before)
    assert not new, f"following the step raised new errors: {new}"


def rewrite(repo, plan):
    """git rebase -i as its todo list says (the simulated agent's own rewrite)."""
    agent_loop.Agent(repo.path).rewrite(plan)


def message_of(repo, sha):
    return repo.git("log", "-1", "--format=%B", sha)


def backticked(hint):
    return re.search(r"`([^`]+)`", hint).group(1)


def commands(hint):
    """The git commands a hint gives in parentheses, in order, as argument lists."""
    return [shlex.split(c) for c in re.findall(r"\((git [^)]+)\)", hint)]


@pytest.fixture
def repo(tmp_path):
    return backend_project(str(tmp_path / "project"))


def project(tmp_path, config_extra="", extra=None):
    return backend_project(str(tmp_path / "p"), BACKEND_CONFIG + config_extra, extra=extra)


# -- scope and policy ----------------------------------------------------------------------
@slow
def test_scope003_remove_the_unowned_file(repo):
    repo.commit("feat(api): orders and a script", {"src/server/orders.py": "x = 1\n",
                                                   "scripts/cleanup.sh": "echo hi\n"})
    before = findings(repo, "policy,scope,commits")
    f = one(before, "SCOPE003")
    path = re.match(r"remove (\S+) from the branch", f["hint"]).group(1)
    repo.git("rm", "-q", "--", path)
    repo.commit(f"chore(server): remove {path}")
    assert_fixed(before, findings(repo, "policy,scope,commits"), "SCOPE003")


@slow
def test_scope004_revert_the_file_outside_the_task(tmp_path):
    repo = project(tmp_path, "  scope:\n    allowed: [src/server/orders.py]\n")
    repo.commit("feat(server): orders and the app", {"src/server/orders.py": "x = 1\n",
                                                     "src/server/app.py": "app = 1\n"})
    before = findings(repo, "policy,scope,commits")
    f = one(before, "SCOPE004")
    # the commit-aware step: take the file's change out of the commit that made it
    assert "by taking its change out of commit" in f["hint"], f["hint"]
    repo.git("checkout", "HEAD^", "--", "src/server/app.py")
    repo.git("commit", "-q", "--amend", "--no-edit")
    assert_fixed(before, findings(repo, "policy,scope,commits"), "SCOPE004")


@slow
def test_scope005_remove_the_link(repo):
    os.symlink("../components", os.path.join(repo.path, "src/server/ui"))
    repo.commit("feat(server): ui link")
    repo.commit("feat(server): orders", {"src/server/orders.py": "x = 1\n"})
    before = findings(repo, "policy,scope,commits")
    f = one(before, "SCOPE005")
    link = re.match(r"remove the link (\S+?);", f["hint"]).group(1)
    repo.git("rm", "-q", "--", link)
    repo.commit(f"fix(server): remove the link {link}")
    after = findings(repo, "policy,scope,commits")
    assert_fixed(before, after, "SCOPE005")


def test_scope006_drop_the_change_and_its_undoing(repo):
    repo.commit("feat(server): orders", {"src/server/orders.py": "x = 1\n"})
    repo.commit("fix(server): nginx", {"deploy/nginx.conf": "server {a}\n"})
    repo.commit("fix(server): nginx back", {"deploy/nginx.conf": "server {}\n"})
    before = findings(repo, "policy,scope,commits")
    f = one(before, "SCOPE006")
    m = re.search(r"drop (?:the )?commits? ([0-9a-f, ]+?)(?: with|\s*\(|$)", f["hint"]) or \
        re.search(r"\(commit ([0-9a-f]{8})\)", f["hint"])
    shas = re.findall(r"[0-9a-f]{8}", m.group(1))
    # the rebase as its todo list says: a dropped commit's undoing must go with it, or the
    # later commit no longer applies
    rewrite(repo, {sha: ("drop",) for sha in shas})
    after = findings(repo, "policy,scope,commits")
    assert_fixed(before, after, "SCOPE006")
    assert repo.git("log", "--format=%s", "main..HEAD") == "feat(server): orders"


def test_policy002_the_staff_engineer_removes_it_on_the_base(tmp_path):
    repo = project(tmp_path, "  ignore:\n    - {rule: SCOPE002, paths: [src/types/legacy/], "
                             "reason: old types}\n")
    repo.commit("feat(server): orders", {"src/server/orders.py": "x = 1\n"})
    before = findings(repo, "policy,scope,commits")
    f = one(before, "POLICY002")
    text = repo.git("show", "main:company.config.yaml")
    edited = re.sub(r"  ignore:\n    - .*\n?", "", text) + "\n"
    assert edited != text
    if f["hint"].startswith("ask the Staff Engineer to make this change on the base branch"):
        # the Staff Engineer does it on the base; the branch follows the base
        repo.checkout("main")
        repo.commit("chore: drop a stale suppression", {"company.config.yaml": edited})
        repo.checkout("agent/backend/task")
        repo.git("rebase", "-q", "main")
    else:
        # the hint asks the agent to edit the policy on its own branch
        repo.commit("chore: drop a stale suppression", {"company.config.yaml": edited})
    after = findings(repo, "policy,scope,commits")
    assert_fixed(before, after, "POLICY002")
    assert "POLICY001" in f["hint"]          # it says why not on the branch


# -- commits -------------------------------------------------------------------------------
HEADERS = [
    ("COMMIT002", "", "feature(api): orders"),
    ("COMMIT003", "  commits:\n    scopes: [api, db]\n", "feat(ui): orders"),
    ("COMMIT003", "  commits:\n    scopes: [api, db]\n", "feat(dbs): orders"),
    ("COMMIT005", "", "feat(api):"),
    ("COMMIT013", "", "feat(api): add orders."),
    ("COMMIT016", "  commits:\n    style: plain\n", "add orders"),
    ("COMMIT017", "  commits:\n    style: plain\n", "Added orders"),
]


@pytest.mark.parametrize("rule,config,header", HEADERS,
                         ids=[f"{r}-{h}" for r, _c, h in HEADERS])
def test_commit_header_in_backticks(tmp_path, rule, config, header):
    if "style: plain" in config:
        config = config.replace("  commits:\n    style: plain\n", "")
        cfg = BACKEND_CONFIG.replace("commit_style: conventional", "commit_style: plain")
        repo = backend_project(str(tmp_path / "p"), cfg)
    else:
        repo = project(tmp_path, config)
    sha = repo.commit(f"{header}\n\nThe orders endpoint.", {"src/server/orders.py": "x = 1\n"})
    before = findings(repo, "commits")
    f = one(before, rule)
    proposed = backticked(f["hint"])
    body = message_of(repo, sha).partition("\n\n")[2]
    rewrite(repo, {sha[:8]: ("reword", f"{proposed}\n\n{body}")})
    after = findings(repo, "commits")
    assert_fixed(before, after, rule)
    assert not after, after


@slow
def test_commit004_shorten_and_move_the_detail_into_the_body(repo):
    header = "feat(api): add the orders endpoint with paging, filters by status and sorting"
    sha = repo.commit(header, {"src/server/orders.py": "x = 1\n"})
    before = findings(repo, "commits")
    f = one(before, "COMMIT004")
    limit = int(re.search(r"to (\d+) characters or fewer", f["hint"]).group(1))
    short = header[:limit].rsplit(" ", 1)[0]
    detail = header[len(short):].strip()
    rewrite(repo, {sha[:8]: ("reword", f"{short}\n\nAlso: {detail}.")})
    after = findings(repo, "commits")
    assert_fixed(before, after, "COMMIT004")
    assert not after, after


@slow
def test_commit006_insert_the_blank_line(repo):
    sha = repo.commit("feat(api): orders\nThe orders endpoint.", {"src/server/orders.py": "x\n"})
    before = findings(repo, "commits")
    assert one(before, "COMMIT006")["hint"] == "insert an empty line after the header"
    header, _, rest = message_of(repo, sha).partition("\n")
    rewrite(repo, {sha[:8]: ("reword", f"{header}\n\n{rest}")})
    assert not findings(repo, "commits")


@slow
def test_commit009_rebase_instead_of_merging(repo):
    repo.commit("feat(api): orders", {"src/server/orders.py": "x = 1\n"})
    repo.checkout("main")
    repo.commit("docs: readme", {"README.md": "# project, more\n"})
    repo.checkout("agent/backend/task")
    repo.git("merge", "-q", "--no-edit", "main")
    before = findings(repo, "commits")
    f = one(before, "COMMIT009")
    command = re.search(r"git rebase [\w/.-]+", f["hint"]).group(0).split()
    repo.git(*command[1:])
    after = findings(repo, "commits")
    assert_fixed(before, after, "COMMIT009")


def test_commit010_add_the_trailer_the_hint_names(tmp_path):
    repo = project(tmp_path, "  commits:\n    trailers: [Agent-Role]\n")
    sha = repo.commit("feat(api): orders", {"src/server/orders.py": "x = 1\n"})
    before = findings(repo, "commits")
    f = one(before, "COMMIT010")
    command = next(c for c in commands(f["hint"]) if "--amend" in c and sha == repo.git(
        "rev-parse", "HEAD"))
    repo.git(*command[1:], "--no-edit")
    after = findings(repo, "commits")
    assert_fixed(before, after, "COMMIT010")
    # the value is the role the branch is held to, not a placeholder
    assert repo.git("log", "-1", "--format=%(trailers:key=Agent-Role,valueonly)") == "backend"


@slow
def test_commit012_commit_the_work(repo):
    repo.commit("feat(api): orders", {"src/server/orders.py": "x = 1\n"})
    repo.write("src/server/orders.py", "x = 2\n")
    before = findings(repo, "commits")
    f = one(before, "COMMIT012")
    assert f["hint"].startswith("commit it") or "commit" in f["hint"], f["hint"]
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "feat(api): orders start at two")
    assert_fixed(before, findings(repo, "commits"), "COMMIT012")


@slow
def test_commit014_name_the_reverted_commit(repo):
    target = repo.commit("feat(api): orders", {"src/server/orders.py": "x = 1\n"})
    sha = repo.commit('Revert "feat(api): orders"', {"src/server/orders.py": ""})
    before = findings(repo, "commits")
    f = one(before, "COMMIT014")
    line = re.search(r'"(This reverts commit <sha>\.)"', f["hint"]).group(1)
    # <sha>: the commit whose header the revert quotes
    quoted = re.match(r'Revert "(.*)"', message_of(repo, sha)).group(1)
    found = repo.git("log", "--format=%H", "--fixed-strings", f"--grep={quoted}", "main..HEAD")
    reverted = [s for s in found.split() if s != sha][0]
    assert reverted == target
    rewrite(repo, {sha[:8]: ("reword", f'Revert "{quoted}"\n\n'
                                       f"{line.replace('<sha>', reverted)}")})
    assert_fixed(before, findings(repo, "commits"), "COMMIT014")


@slow
def test_commit015_write_the_footer_as_shown(repo):
    sha = repo.commit("feat(api)!: paged orders\n\nOrders come in pages.\n\n"
                      "breaking change: the list is paged", {"src/server/orders.py": "x\n"})
    before = findings(repo, "commits")
    f = one(before, "COMMIT015")
    token = backticked(f["hint"]).split(":", 1)[0]
    text = message_of(repo, sha).replace("breaking change:", f"{token}:")
    rewrite(repo, {sha[:8]: ("reword", text)})
    assert_fixed(before, findings(repo, "commits"), "COMMIT015")


# -- conventions ---------------------------------------------------------------------------
@slow
def test_conv002_write_the_line_as_shown(repo):
    repo.commit("feat(server): port", {".env.example": "API_PORT=8000\n",
                                       "tests/server/test_x.py": "x = 1\n"})
    before = findings(repo, "scope,conventions")
    f = one(before, "CONV002")
    line = re.search(r"write it as (\S+=\d+  # .*?) \(note:", f["hint"]).group(1)
    repo.commit("docs(server): say why the port", {".env.example": line + "\n"})
    after = findings(repo, "scope,conventions")
    assert_fixed(before, after, "CONV002")


@slow
def test_conv003_rename_the_variable(repo):
    code = ("import express from 'express';\n\nconst app = express();\n"
            "const port = process.env.SERVER_PORT_NUMBER || 8000;\napp.listen(port);\n")
    repo.commit("feat(server): port", {"src/server/index.ts": code,
                                       ".env.example": "SERVER_PORT_NUMBER=8000  # default\n",
                                       "tests/server/test_x.py": "x = 1\n"})
    before = findings(repo, "scope,conventions")
    f = one(before, "CONV003")
    old, new = re.match(r"rename (\w+) to (\w+)", f["hint"]).groups()
    for path in ("src/server/index.ts", ".env.example"):
        with open(os.path.join(repo.path, path)) as fh:
            text = fh.read()
        repo.write(path, text.replace(old, new))
    repo.commit(f"refactor(server): read the port from {new}")
    assert_fixed(before, findings(repo, "scope,conventions"), "CONV003")


@slow
def test_conv004_document_the_variable(repo):
    repo.commit("feat(server): stripe", {
        "src/server/pay.py": "import os\n\nKEY = os.environ['STRIPE_KEY']\n",
        ".env.example": "API_PORT=8000  # FastAPI default\n",
        "tests/server/test_x.py": "x = 1\n"})
    before = findings(repo, "scope,conventions")
    f = one(before, "CONV004")
    m = re.match(r"add (\w+=.*?) — to (\S+)", f["hint"])
    line, path = m.groups()
    with open(os.path.join(repo.path, path)) as fh:
        text = fh.read()
    repo.commit("docs(server): document STRIPE_KEY", {path: text + line + "\n"})
    after = findings(repo, "scope,conventions")
    assert_fixed(before, after, "CONV004")


@slow
def test_conv010_untrack_ignore_and_document(tmp_path):
    # the role owns .gitignore here, so the step is the agent's to take whole
    from gitrepo import BACKEND_CONFIG as cfg
    repo = backend_project(str(tmp_path / "p"), cfg)
    repo.commit("chore(server): local settings", {".env": "API_PORT=8000\n",
                                                   "tests/server/test_x.py": "x = 1\n"})
    before = findings(repo, "scope,conventions")
    f = one(before, "CONV010")
    m = re.match(r"git rm --cached (\S+), add it to (\S+), document its variables in (\S+?),",
                 f["hint"])
    env, ignore, example = m.groups()
    repo.git("rm", "-q", "--cached", env)
    repo.write(ignore, f"{env}\n")
    repo.write(example, "API_PORT=8000  # FastAPI default\n")
    repo.commit("chore(server): keep .env out of git")
    after = findings(repo, "scope,conventions")
    assert not any(g["rule"] == "CONV010" for g in after), after
    # what the hint announced (.gitignore outside the role, .env.example shared), no more
    new = errors(after) - errors(before)
    assert new <= {("SCOPE003", ".gitignore")}, new
    assert ".gitignore is outside the paths" in f["hint"]


# -- migrations ----------------------------------------------------------------------------
SQL_BASE = {
    "db/migrations/0001_users.up.sql": "CREATE TABLE users (id integer PRIMARY KEY, "
                                       "email text);\n",
    "db/migrations/0001_users.down.sql": "DROP TABLE users;\n",
    "db/migrations/0002_orders.up.sql": "CREATE TABLE orders (id integer PRIMARY KEY);\n",
    "db/migrations/0002_orders.down.sql": "DROP TABLE orders;\n",
}


def _renumber(repo, path, version):
    folder, name = path.rsplit("/", 1)
    old = name.split("_", 1)[0]
    for suffix in (".up.sql", ".down.sql"):
        src = path.replace(".up.sql", suffix)
        if os.path.exists(os.path.join(repo.path, src)):
            repo.git("mv", src, f"{folder}/{version}{src.rsplit('/', 1)[1][len(old):]}")
    repo.commit(f"fix(db): renumber {name} to {version}")


@pytest.mark.parametrize("rule,version", [("MIG003", "0001"), ("MIG004", "0001"),
                                          ("MIG005", "0005")])
def test_mig_renumber_as_the_hint_says(tmp_path, rule, version):
    repo = project(tmp_path, extra=SQL_BASE)
    repo.commit("feat(db): status", {
        f"db/migrations/{version}_status.up.sql": "ALTER TABLE orders ADD COLUMN s text;\n",
        f"db/migrations/{version}_status.down.sql": "ALTER TABLE orders DROP COLUMN s;\n"})
    before = findings(repo, "migrations")
    f = one(before, rule)
    hint = f["hint"]
    m = re.search(r"number it (\d+)|renumber it after (\d+)", hint)
    if m and m.group(1):
        new = m.group(1)
    elif m:
        new = f"{int(m.group(2)) + 1:04d}"
    else:
        # "give the new migration the next free version number": after the newest one
        assert "next free version" in hint, hint
        new = f"{max(int(p.split('/')[-1][:4]) for p in SQL_BASE) + 1:04d}"
    _renumber(repo, f["path"], new)
    after = findings(repo, "migrations")
    assert_fixed(before, after, rule)
    assert not after, after


@slow
def test_mig112_create_the_index_concurrently(tmp_path):
    repo = project(tmp_path, extra=SQL_BASE)
    repo.commit("feat(db): index", {
        "db/migrations/0003_idx.up.sql": "CREATE INDEX users_email ON users (email);\n",
        "db/migrations/0003_idx.down.sql": "DROP INDEX users_email;\n"})
    before = findings(repo, "migrations")
    f = one(before, "MIG112")
    words = re.match(r"(CREATE INDEX CONCURRENTLY)", f["hint"]).group(1)
    path = f["path"]
    with open(os.path.join(repo.path, path)) as fh:
        text = fh.read()
    repo.commit("fix(db): build the index concurrently",
                {path: text.replace("CREATE INDEX", words)})
    after = findings(repo, "migrations")
    assert_fixed(before, after, "MIG112")


@slow
def test_mig002_restore_the_removed_migration(tmp_path):
    repo = project(tmp_path, extra=SQL_BASE)
    repo.git("mv", "db/migrations/0002_orders.up.sql", "db/migrations/0002_purchases.up.sql")
    repo.git("mv", "db/migrations/0002_orders.down.sql",
             "db/migrations/0002_purchases.down.sql")
    repo.commit("refactor(db): a better name")
    before = findings(repo, "migrations")
    f = one(before, "MIG002")
    m = re.search(r"(?:restore|move it back to) (\S+?)[;,:]", f["hint"])
    assert m, f["hint"]
    # the literal step: bring back every removed migration file the findings name
    for g in before:
        if g["rule"] == "MIG002":
            repo.git("checkout", "main", "--", g["path"])
    for path in ("db/migrations/0002_purchases.up.sql", "db/migrations/0002_purchases.down.sql"):
        repo.git("rm", "-q", "--", path)
    repo.commit("fix(db): keep the applied migration's name")
    after = findings(repo, "migrations")
    assert_fixed(before, after, "MIG002")


# -- hand-off reports (guard verify-report) -----------------------------------------------
class Report:
    """A hand-off report as an agent edits it: a title and `## ` sections of lines."""

    def __init__(self, text):
        lines = text.splitlines()
        self.title = lines[0]
        self.sections: dict[str, list[str]] = {}
        current = None
        for line in lines[1:]:
            if line.startswith("## "):
                current = self.sections.setdefault(line[3:].strip(), [])
            elif current is not None:
                current.append(line)

    def text(self):
        out = [self.title, ""]
        for name, lines in self.sections.items():
            out += [f"## {name}", *lines, ""]
        return "\n".join(out) + "\n"

    def add_under(self, section, heading, item):
        """Add `- item` to the list under `heading` in ``section`` (creating the list)."""
        lines = self.sections[section]
        if heading not in lines:
            lines += [heading]
        at = lines.index(heading) + 1
        while at < len(lines) and lines[at].startswith("- "):
            at += 1
        lines.insert(at, f"- `{item}`")


def _verify(repo, path, *args):
    res = run_guard("verify-report", str(path), "--base", "main", "--format", "json", *args,
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)["findings"]


def _follow_report(repo, report, f):
    """One report finding's next step, as its hint words it."""
    rule, hint = f["rule"], f["hint"]
    if rule == "REPORT001":
        name = re.match(r"add a '([^']+)' section \(\"None\" is an answer\)", hint).group(1)
        report.sections[name] = ["None"]
    elif rule == "REPORT002":
        path = re.search(r"or remove it from the summary", hint) and \
            re.search(r"the work on (\S+), or remove", hint).group(1)
        report.sections["Summary of changes"] = [
            line for line in report.sections["Summary of changes"] if f"`{path}`" not in line]
    elif rule == "REPORT003":
        path, kind = re.match(r"add (\S+) to the summary's files (\w+)", hint).groups()
        report.add_under("Summary of changes", f"Files {kind}:", path)
    elif rule == "REPORT004":
        path, kind = re.match(r"list (\S+) under the files (\w+)", hint).groups()
        summary = report.sections["Summary of changes"]
        summary[:] = [line for line in summary if f"`{path}`" not in line]
        report.add_under("Summary of changes", f"Files {kind}:", path)
    elif rule == "REPORT005":
        command = backticked(hint)
        assert command.startswith("git log --oneline"), hint
        log = repo.git("log", "--oneline", "--abbrev=8", "main..HEAD")
        report.sections["Commit references"] = [f"- {line}" for line in log.splitlines()]
    elif rule == "REPORT006":
        line = re.match(r"add (.+) to the Commit references", hint).group(1)
        refs = report.sections["Commit references"]
        if not any(line.split()[0] in x for x in refs):
            refs.insert(0, f"- {line}")
    elif rule == "REPORT008":
        counts = re.search(r"shows (\d+) failure\(s\), (\d+) error\(s\) of (\d+) test", f["message"])
        failed, errored, total = map(int, counts.groups())
        assert "report them as failing" in hint
        report.sections["Test results"] = [
            f"{total - failed - errored} passed, {failed + errored} failed (pytest)"]
    elif rule == "REPORT013":
        assert "the down migration to run" in hint
        notes = report.sections["Migration notes"]
        for up in re.findall(r"`([^`]+\.up\.sql)`", "\n".join(notes)):
            notes.append(f"Rollback: run `{up.replace('.up.sql', '.down.sql')}`.")
    elif rule == "REPORT014":
        report.title = "# " + re.match(r'title the report "([^"]+)"', hint).group(1)
    else:
        raise AssertionError(f"no step for {rule}: {hint}")


REPORT_RULES = ("REPORT001", "REPORT002", "REPORT003", "REPORT004", "REPORT005", "REPORT006",
                "REPORT008", "REPORT013", "REPORT014")


def test_report_hints_followed_one_by_one_give_an_honest_report(tmp_path):
    repo = backend_project(str(tmp_path / "project"))
    api = repo.commit("feat(api): orders endpoint", {
        "src/api/orders.py": "def orders():\n    return []\n",
        "tests/api/test_orders.py": "def test_orders():\n    assert True\n"})
    repo.commit("feat(db): orders table", {
        "migrations/0001_orders.up.sql": "CREATE TABLE orders (id int primary key);\n",
        "migrations/0001_orders.down.sql": "DROP TABLE orders;\n"})
    fix = repo.commit("fix(server): tidy", {"src/server/app.py": "app = object()\n"})
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuite name="pytest" tests="2" failures="1" errors="0" skipped="0">'
                     '<testcase classname="t" name="a"/><testcase classname="t" name="b">'
                     '<failure message="boom"/></testcase></testsuite>\n')
    path = tmp_path / "REPORT.md"
    path.write_text(f"""# Backend report

## Summary of changes
Files created:
- `src/api/orders.py`
- `src/api/users.py`
- `src/server/app.py`
- `migrations/0001_orders.up.sql`

## Test results
All tests pass.

## Migration notes
`migrations/0001_orders.up.sql` creates table orders.

## Commit references
- {api[:8]} feat(api): orders endpoint
- deadbee1 feat(api): users endpoint
- {fix[:8]} fix(server): tidy
""")
    before = _verify(repo, path, "--tests-junit", str(junit))
    assert set(REPORT_RULES) <= {f["rule"] for f in before}, before
    report = Report(path.read_text())
    for f in before:
        if f["rule"] != "REPORT010":        # no contract configured: nothing to verify it by
            _follow_report(repo, report, f)
    path.write_text(report.text())
    after = _verify(repo, path, "--tests-junit", str(junit))
    assert {f["rule"] for f in after} <= {"REPORT010"}, (report.text(), after)


# -- conventions: secrets, entry point, tenancy -------------------------------------------
@slow
def test_conv009_remove_the_credential_and_rewrite_the_history(repo):
    repo.commit("feat(server): orders", {"src/server/orders.py": "x = 1\n",
                                         "tests/server/test_orders.py": "x = 1\n"})
    sha = repo.commit("feat(server): pay", {
        "src/server/pay.py": "import os\n\nKEY = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'\n"})
    before = findings(repo, "scope,conventions")
    f = one(before, "CONV009")
    assert f["hint"].startswith("remove it and rewrite the branch's history"), f["hint"]
    assert "read it from the environment" in f["hint"]
    # remove the line, read the key from the environment, and fold the fix into the commit
    # that added the key (HEAD here), so no commit of the branch holds it
    path, line = f["path"], f["line"]
    with open(os.path.join(repo.path, path)) as fh:
        lines = fh.read().splitlines(keepends=True)
    lines[line - 1] = "KEY = os.environ['STRIPE_KEY']\n"
    repo.write(path, "".join(lines))
    repo.git("add", "-A")
    repo.git("commit", "-q", "--amend", "--no-edit")
    assert repo.git("rev-parse", "HEAD^") != sha
    after = findings(repo, "scope,conventions")
    assert_fixed(before, after, "CONV009")
    assert "sk_live" not in repo.git("log", "-p", "main..HEAD")


@slow
def test_conv012_point_the_start_command_at_the_app(repo):
    repo.commit("feat(server): start", {
        "src/server/main.py": "import os\n\nimport uvicorn\n\n\ndef main():\n"
                              "    uvicorn.run('src.server.nope:app', "
                              "port=int(os.environ.get('API_PORT', '8000')))\n",
        ".env.example": "API_PORT=8000  # FastAPI default\n",
        "tests/server/test_main.py": "x = 1\n"})
    before = findings(repo, "scope,conventions")
    f = one(before, "CONV012")
    target = re.search(r"started with (\S+?):(\w+),", f["message"])
    module, attr = target.groups()
    assert "point the start command at the module that defines the app" in f["hint"]
    # the module that defines it: the branch's files that assign the attribute
    defining = [p for p in repo.git("ls-files", "*.py").split()
                if re.search(rf"^{attr}\s*=", open(os.path.join(repo.path, p)).read(), re.M)]
    assert defining == ["src/server/app.py"], defining
    real = defining[0][:-3].replace("/", ".")
    with open(os.path.join(repo.path, "src/server/main.py")) as fh:
        text = fh.read()
    repo.commit("fix(server): start the real app",
                {"src/server/main.py": text.replace(f"{module}:{attr}", f"{real}:{attr}")})
    assert_fixed(before, findings(repo, "scope,conventions"), "CONV012")


TENANCY = "architecture:\n  multi_tenancy:\n    tenant_column: tenant_id\n"


def _tenant_project(tmp_path):
    return backend_project(str(tmp_path / "p"),
                           BACKEND_CONFIG.replace("guard:\n", TENANCY + "guard:\n", 1),
                           extra={"migrations/0001_tenants.sql":
                                  "CREATE TABLE tenants (id bigserial PRIMARY KEY);\n"})


@slow
def test_tenant001_add_the_tenant_column(tmp_path):
    repo = _tenant_project(tmp_path)
    repo.commit("feat(db): invoices", {
        "migrations/0002_invoices.sql": "CREATE TABLE invoices (\n  id bigserial PRIMARY KEY,"
                                        "\n  total numeric\n);\n",
        "tests/server/test_x.py": "x = 1\n"})
    before = findings(repo, "conventions,migrations")
    f = one(before, "TENANT001")
    column, table = re.match(r"add (\w+) \(not null, referencing the (\w+) table\)",
                             f["hint"]).groups()
    path = f["path"]
    with open(os.path.join(repo.path, path)) as fh:
        text = fh.read()
    text = text.replace("  total numeric\n",
                        f"  total numeric,\n  {column} bigint NOT NULL REFERENCES {table}(id)\n")
    repo.commit(f"fix(db): invoices belong to a tenant", {path: text})
    after = findings(repo, "conventions,migrations")
    assert_fixed(before, after, "TENANT001")


@slow
def test_tenant004_add_the_tenant_condition(tmp_path):
    repo = _tenant_project(tmp_path)
    repo.commit("feat(db): invoices", {
        "migrations/0002_invoices.sql": "CREATE TABLE invoices (id bigserial PRIMARY KEY, "
                                        "tenant_id bigint NOT NULL REFERENCES tenants(id));\n"
                                        "ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;\n",
        "src/server/q.py": "def open_invoices(cur, tenant):\n"
                           "    cur.execute('SELECT * FROM invoices WHERE status = %s', "
                           "['open'])\n",
        "tests/server/test_x.py": "x = 1\n"})
    before = findings(repo, "conventions")
    f = one(before, "TENANT004")
    m = re.match(r"add (\w+) = <current tenant> to the WHERE clause \(a bound parameter",
                 f["hint"])
    column = m.group(1)
    with open(os.path.join(repo.path, f["path"])) as fh:
        text = fh.read()
    text = text.replace("WHERE status = %s', ['open']",
                        f"WHERE {column} = %s AND status = %s', [tenant, 'open']")
    repo.commit("fix(server): open invoices of the current tenant", {f["path"]: text})
    assert_fixed(before, findings(repo, "conventions"), "TENANT004")


# -- migrations: statements ----------------------------------------------------------------
def _migration(tmp_path, up, down):
    repo = project(tmp_path, extra=SQL_BASE)
    repo.commit("feat(db): change", {"db/migrations/0003_x.up.sql": up,
                                     "db/migrations/0003_x.down.sql": down})
    return repo


def _edit(repo, path, change, message="fix(db): as guard asks"):
    with open(os.path.join(repo.path, path)) as fh:
        text = fh.read()
    repo.commit(message, {path: change(text)})


def test_mig013_the_ignore_names_the_rule_of_its_statement(tmp_path):
    repo = _migration(tmp_path, "-- guard:ignore drop it anyway\nDELETE FROM orders;\n",
                      "SELECT 1;\n")
    before = findings(repo, "migrations")
    f = one(before, "MIG013")
    written = backticked(f["hint"])
    _edit(repo, f["path"], lambda t: t.replace("guard:ignore drop it anyway", written))
    after = findings(repo, "migrations")
    assert_fixed(before, after, "MIG013")
    # the ignore names the statement's own rule (not honoured: the trusted policy does not
    # allow inline ignores, so MIG105 still warns, and nothing new appears)
    assert written.startswith("guard:ignore MIG105 reason:"), f["hint"]
    assert [g["rule"] for g in after] == ["MIG105"], after


@slow
def test_mig103_take_the_drop_schema_out(tmp_path):
    repo = _migration(tmp_path, "ALTER TABLE orders ADD COLUMN s text;\nDROP SCHEMA legacy;\n",
                      "ALTER TABLE orders DROP COLUMN s;\n")
    before = findings(repo, "migrations")
    f = one(before, "MIG103")
    assert f["hint"].startswith("take the DROP out of this migration")
    _edit(repo, f["path"], lambda t: "".join(
        x for i, x in enumerate(t.splitlines(keepends=True), 1) if i != f["line"]))
    after = findings(repo, "migrations")
    assert_fixed(before, after, "MIG103")
    assert not after, after


@slow
def test_mig113_index_the_foreign_key_as_mig112_asks(tmp_path):
    repo = _migration(tmp_path, "ALTER TABLE orders ADD COLUMN user_id integer "
                                "REFERENCES users(id);\n",
                      "ALTER TABLE orders DROP COLUMN user_id;\n")
    before = findings(repo, "migrations")
    f = one(before, "MIG113")
    table, column = re.search(r"foreign key (\w+)\.(\w+) has no index", f["message"]).groups()
    # orders is an existing table: the hint says CONCURRENTLY there, as MIG112 asks
    assert "CONCURRENTLY on an existing PostgreSQL table" in f["hint"]
    _edit(repo, f["path"], lambda t: t + f"CREATE INDEX CONCURRENTLY {table}_{column} "
                                         f"ON {table} ({column});\n")
    after = findings(repo, "migrations")
    assert_fixed(before, after, "MIG113")
    assert not after, after


@slow
def test_mig110_add_the_column_with_a_default(tmp_path):
    repo = _migration(tmp_path, "ALTER TABLE users ADD COLUMN age int NOT NULL;\n",
                      "ALTER TABLE users DROP COLUMN age;\n")
    before = findings(repo, "migrations")
    f = one(before, "MIG110")
    assert f["hint"].startswith("add the column with a DEFAULT")
    # the value is the agent's (0); the shape is the hint's
    _edit(repo, f["path"], lambda t: t.replace("NOT NULL;", "NOT NULL DEFAULT 0;"))
    after = findings(repo, "migrations")
    assert_fixed(before, after, "MIG110")
    assert not after, after


# -- contract: the api.* settings, on the contract owner's branch ----------------------------
def _contract_findings(repo):
    res = run_guard("check", "--format", "json", "--only", "contract", "--base", "main",
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)["findings"]


def _api_project(tmp_path, role):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))
    import test_contract_apistyle as style
    repo = style._project(tmp_path, role)
    head = style._with_added(style.BASE, style.ADDED)
    repo.commit("feat(api): items and customers", {style.CONTRACT: head})
    return repo, style.CONTRACT


def _follow_api_style(spec, f):
    """One CONTRACT02x step on the contract (a dict read from its YAML)."""
    hint, message = f["hint"], f["message"]
    paths = spec["paths"]
    if f["rule"] == "CONTRACT021":
        new = re.match(r"name it '([^']+)' in the contract", hint).group(1)
        old = re.search(r"(?:segment|parameter|field) '([^']+)'", message).group(1)
        if "path segment" in message or "path parameter" in message:
            for path in list(paths):
                if old in path:
                    paths[path.replace(old, new)] = paths.pop(path)
        text = json.dumps(spec).replace(f'"{old}"', f'"{new}"')
        spec.clear()
        spec.update(json.loads(text))
    elif f["rule"] == "CONTRACT022":
        method, path = re.match(r"(\w+) (\S+) lists a collection", message).groups()
        params, items, after = re.search(
            r"take (.+?) as query parameters and return an envelope "
            r"\{(\w+): \[\.\.\.\], (\w+): \.\.\.\}", hint).group(1, 2, 3)
        op = paths[path][method.lower()]
        op["parameters"] = [{"name": p.strip(), "in": "query", "schema": {"type": "string"}}
                            for p in params.split(",")]
        content = op["responses"]["200"]["content"]["application/json"]
        content["schema"] = {"type": "object", "properties": {
            items: content["schema"], after: {"type": "string"}}}
    elif f["rule"] == "CONTRACT023":
        method, path, code = re.match(r"(\w+) (\S+): the (\d+) response is", message).groups()
        assert hint.startswith("document it as application/problem+json with type, title, "
                               "status"), hint
        response = paths[path][method.lower()]["responses"][code]
        response["content"] = {"application/problem+json": {"schema": {
            "type": "object", "properties": {"type": {"type": "string"},
                                             "title": {"type": "string"},
                                             "status": {"type": "integer"}}}}}
    else:
        raise AssertionError(f"no step for {f['rule']}")


@slow
def test_contract_api_style_steps_followed_on_the_owners_branch(tmp_path):
    import yaml
    repo, contract = _api_project(tmp_path, "staff")
    before = _contract_findings(repo)
    steps = [f for f in before if f["rule"] in ("CONTRACT021", "CONTRACT022", "CONTRACT023")]
    assert {f["rule"] for f in steps} == {"CONTRACT021", "CONTRACT022", "CONTRACT023"}
    with open(os.path.join(repo.path, contract)) as fh:
        spec = yaml.safe_load(fh)
    # renames last: the other steps name the operation by its path as guard printed it
    for f in sorted(steps, key=lambda f: f["rule"] == "CONTRACT021"):
        _follow_api_style(spec, f)
    repo.commit("fix(api): follow the api settings",
                {contract: yaml.safe_dump(spec, sort_keys=False)})
    after = _contract_findings(repo)
    # the envelope's field is spelled as api.naming.fields asks: no new CONTRACT021
    assert not [g for g in after if g["rule"] in ("CONTRACT021", "CONTRACT022",
                                                   "CONTRACT023")], after
    assert not errors(after) - errors(before)


@slow
def test_contract003_revert_the_contract_edit(tmp_path):
    repo, contract = _api_project(tmp_path, "backend")
    before = _contract_findings(repo)
    f = one(before, "CONTRACT003")
    assert f["hint"].startswith("revert it;"), f["hint"]
    repo.git("checkout", "main", "--", contract)
    repo.commit(f"fix(api): restore {contract} from main")
    after = _contract_findings(repo)
    assert_fixed(before, after, "CONTRACT003")
