import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from gitrepo import Repo, backend_project  # noqa: E402


@pytest.fixture
def repo(tmp_path) -> Repo:
    return backend_project(str(tmp_path / "project"))


@pytest.fixture
def tmp_repo(tmp_path) -> Repo:
    return Repo.init(str(tmp_path / "empty"))
