import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


def cache_bytecode_outside_the_tree() -> None:
    """With PYTHONDONTWRITEBYTECODE set (as on the development machine), every Python the
    tests start compiled guard and the test modules from source again: ~6 s of each xdist
    worker's collection, ~0.2 s of every fresh `python -m guard` and contract helper. Keep
    the intent (nothing written into the source tree) and cache it elsewhere: a pycache
    prefix in the user's cache folder, for this process and, through the environment, every
    process the tests start (the same in each, so the fork server's runs stay forks)."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    prefix = os.path.join(cache, "guard-tests", "pycache")
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False


cache_bytecode_outside_the_tree()

from gitrepo import Repo, backend_project  # noqa: E402

# Tests left out of the fast lane (`pytest -m "not slow"`) without a decorator in their file,
# each a second or more on a 2-core machine: real servers and full schemathesis runs, the demo
# project built whole, generated corpora, Django's manage.py round trips. Whole modules are
# named by file, single tests by "file::name" (every parametrization of it). Modules that
# install hooks through pre-commit mark themselves (pytestmark). CI runs them all (.ci/run).
SLOW = {
    "test_contract_apps.py",          # real FastAPI/Flask/uvicorn apps under schemathesis
    "test_scope.py::test_twenty_thousand_file_change",
    "test_verify_report.py::test_undisclosed_api_deviation_on_the_demo_project",
    "test_verify_report.py::test_guard_report_with_hostile_names_verifies",
    "test_migrations_fastsql.py::test_generated_statements_and_broken_variants_read_the_same_both_ways",
    "test_migrations_verify.py::test_django_round_trip_through_manage_py",
    "test_migrations_verify.py::test_django_rollback_that_leaves_an_index_behind",
    "test_migrations_report.py::test_demo_has_a_destructive_migration_and_an_edited_applied_one",
    "test_migrations_sql.py::test_detection_lists_candidate_names_whatever_the_pathspec_environment",
    "test_cli.py::test_demo_runs_and_shows_violations",
    "test_cli.py::test_demo_json",
    # each over ~5 s of wall (2-6 s of CPU) on the 2-core machine: a Django project imported
    # and run through manage.py, the contract check against a real app with full budgets, and
    # 1,100-level folders created, checked and removed
    "test_locations.py::test_config_findings_point_at_their_key[plain callable]",
    "test_contract_detect.py::test_django_found_from_manage_py",
    "test_migrations_stepwise.py::test_django_each_migration_through_manage_py",
    "test_hostile_more.py::test_a_folder_1100_levels_deep_is_checked_not_crashed",
    "test_hostile_more.py::test_a_tree_1100_levels_deep_is_exported_and_removed",
    "test_hostile_more.py::test_export_ignore_does_not_hide_a_django_migration_from_the_round_trip",
}


def pytest_collection_modifyitems(config, items):
    seen = set()
    files = set()
    for item in items:
        name = os.path.basename(str(item.path))
        files.add(name)
        test = f"{name}::{item.originalname}" if hasattr(item, "originalname") else None
        one = f"{name}::{item.name}"            # one parametrization: "file::name[id]"
        for key in (name, test, one):
            if key in SLOW:
                seen.add(key)
                item.add_marker(pytest.mark.slow)
    # a renamed test would silently rejoin the fast lane: say so when its file was collected
    stale = sorted(k for k in SLOW if k not in seen and k.split("::")[0] in files
                   and not config.getoption("keyword") and "::" in k
                   and not any("::" in arg for arg in config.args))
    for key in stale:
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(f"tests/conftest.py SLOW names {key}, which no longer "
                                       "exists: remove or rename the entry"), stacklevel=2)


@pytest.fixture
def repo(tmp_path) -> Repo:
    return backend_project(str(tmp_path / "project"))


@pytest.fixture
def tmp_repo(tmp_path) -> Repo:
    return Repo.init(str(tmp_path / "empty"))
