"""Scope semantics on real repositories."""

import json
import os

from gitrepo import Repo, backend_project, run_guard


def check_json(repo, *args):
    # the scope and policy checks only: the content checks (conventions, commits...) have
    # their own tests and would add their findings to these changes
    res = run_guard("check", "--format", "json", "--base", "main", "--only", "scope,policy",
                    *args, cwd=repo.path)
    assert res.code in (0, 1), res.err
    return res, json.loads(res.out)


def rules_by_path(data):
    return {(f["rule"], f["path"]) for f in data["findings"]}


def test_clean_owned_change_passes(repo):
    repo.commit("feat(api): add orders", {"src/api/orders.py": "x = 1\n",
                                          "tests/api/test_orders.py": "def test(): pass\n"})
    res, data = check_json(repo)
    assert res.code == 0
    assert data["findings"] == []
    assert {c["name"]: c["status"] for c in data["checks"]}["scope"] == "passed"
    assert data["summary"]["changed_paths"] == 2


def test_forbidden_shared_unowned(repo):
    repo.commit("feat: mixed", {"src/components/Button.tsx": "changed\n",
                                "src/types/order.ts": "changed\n",
                                "scripts/tool.sh": "echo\n",
                                "src/api/ok.py": "ok\n"})
    res, data = check_json(repo)
    assert res.code == 1
    found = rules_by_path(data)
    assert ("SCOPE001", "src/components/Button.tsx") in found
    assert ("SCOPE002", "src/types/order.ts") in found
    assert ("SCOPE003", "scripts/tool.sh") in found
    assert not any(p == "src/api/ok.py" for _, p in found)
    sev = {f["rule"]: f["severity"] for f in data["findings"]}
    assert sev == {"SCOPE001": "error", "SCOPE002": "warning", "SCOPE003": "error"}
    forbidden = next(f for f in data["findings"] if f["rule"] == "SCOPE001")
    assert "Riley (Frontend Engineer)" in forbidden["hint"]
    assert "builtin:backend.yaml:" in forbidden["message"]
    shared = next(f for f in data["findings"] if f["rule"] == "SCOPE002")
    assert "Staff Engineer" in shared["hint"]


def test_shared_only_is_warning_exit_zero_unless_fail_on_warning(repo):
    repo.commit("feat: shared", {"src/types/order.ts": "changed\n"})
    only = ("--only", "scope,policy")
    assert run_guard("check", "--base", "main", *only, cwd=repo.path).code == 0
    assert run_guard("check", "--base", "main", "--fail-on", "warning", *only,
                     cwd=repo.path).code == 1
    assert run_guard("check", "--base", "main", "--fail-on", "never", *only,
                     cwd=repo.path).code == 0


def test_deleted_forbidden_file(repo):
    repo.git("rm", "-q", "src/components/Button.tsx")
    repo.commit("chore: remove")
    _, data = check_json(repo)
    f = next(f for f in data["findings"] if f["rule"] == "SCOPE001")
    assert "deleted" in f["message"] and "restore" in f["hint"]


def test_rename_out_of_forbidden_folder_flags_both_ends(repo):
    repo.git("mv", "deploy/nginx.conf", "src/server/nginx.conf")
    repo.commit("refactor: move")
    _, data = check_json(repo)
    assert ("SCOPE001", "deploy/nginx.conf") in rules_by_path(data)
    change = data["changes"][0]
    assert change["status"] == "renamed" and change["old_path"] == "deploy/nginx.conf"


def test_rename_into_forbidden_folder(repo):
    repo.git("mv", "src/server/app.py", "src/components/app.py")
    repo.commit("refactor: move")
    _, data = check_json(repo)
    assert ("SCOPE001", "src/components/app.py") in rules_by_path(data)


def test_mode_change_counts(repo):
    repo.git("update-index", "--chmod=+x", "src/components/Button.tsx")
    repo.commit("chore: chmod", add_all=False)
    _, data = check_json(repo)
    f = next(f for f in data["findings"] if f["rule"] == "SCOPE001")
    assert "mode changed" in f["message"]


def test_type_change_file_to_symlink(repo):
    os.remove(os.path.join(repo.path, "src/types/order.ts"))
    os.symlink("../server/app.py", os.path.join(repo.path, "src/types/order.ts"))
    repo.commit("chore: link")
    _, data = check_json(repo)
    assert ("SCOPE002", "src/types/order.ts") in rules_by_path(data)


def test_submodule_pointer_change(tmp_path):
    sub = Repo.init(str(tmp_path / "sub"))
    sub.commit("init", {"a": "1"})
    repo = backend_project(str(tmp_path / "p"))
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.path,
             "src/components/vendor")
    repo.commit("chore: vendor")
    _, data = check_json(repo)
    paths = rules_by_path(data)
    assert ("SCOPE001", "src/components/vendor") in paths
    assert any(c["kind"] == "submodule" for c in data["changes"])


def test_symlink_or_submodule_named_like_a_forbidden_folder(tmp_path):
    # `infrastructure -> src/server/gh` serves an owned folder's files as a do-not-touch
    # folder's; a submodule at `k8s` fills one. The entry's own path (`k8s`, not
    # `k8s/...`) matched no folder pattern: only an unowned warning under
    # `unowned: warning`, and `.claude -> ...` (hook settings) was no POLICY001 either
    sub = Repo.init(str(tmp_path / "sub"))
    sub.commit("init", {"a": "1"})
    repo = backend_project(str(tmp_path / "p"), config=(
        "guard:\n  role: backend\n  unowned: warning\n"))
    repo.write("src/server/gh/workflows/x.yml", "on: push\n")
    repo.write("src/server/cl/settings.json", "{}\n")
    os.symlink("src/server/gh", os.path.join(repo.path, "infrastructure"))
    os.symlink("src/server/cl", os.path.join(repo.path, ".claude"))
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.path, "k8s")
    repo.commit("feat: links")
    _, data = check_json(repo)
    found = rules_by_path(data)
    assert ("SCOPE001", "infrastructure") in found
    assert ("SCOPE001", "k8s") in found
    assert ("POLICY001", ".claude") in found
    assert not {p for r, p in found if r == "SCOPE001"} - {"infrastructure", "k8s"}, found


def test_symlink_into_forbidden_path(repo):
    os.symlink("../components", os.path.join(repo.path, "src/server/ui"))
    repo.commit("feat: link")
    _, data = check_json(repo)
    assert ("SCOPE005", "src/server/ui") in rules_by_path(data)


def test_symlink_outside_repository(repo):
    os.symlink("../../../../etc", os.path.join(repo.path, "src/server/etc"))
    os.symlink("/etc/passwd", os.path.join(repo.path, "src/server/passwd"))
    repo.commit("feat: links")
    _, data = check_json(repo)
    found = rules_by_path(data)
    assert ("SCOPE005", "src/server/etc") in found
    assert ("SCOPE005", "src/server/passwd") in found


def test_symlink_through_a_linked_folder_is_followed(repo):
    """A new link whose target passes through a link already on the base (an owned-looking
    `src/server/assets` that points into deploy/) is held to where it really lands, as the
    operating system resolves it; so is a link to a link, and a loop of links."""
    repo.checkout("main")
    os.makedirs(os.path.join(repo.path, "deploy"), exist_ok=True)
    repo.write("deploy/prod.yaml", "x\n")
    os.symlink("../../deploy", os.path.join(repo.path, "src/server/assets"))
    repo.commit("chore: assets live with the deployment")
    repo.checkout("agent/backend/task")
    repo.git("merge", "-q", "main")
    os.symlink("assets/prod.yaml", os.path.join(repo.path, "src/server/conf.yaml"))
    os.symlink("conf.yaml", os.path.join(repo.path, "src/server/conf2.yaml"))
    os.symlink("loop-b", os.path.join(repo.path, "src/server/loop-a"))
    os.symlink("loop-a", os.path.join(repo.path, "src/server/loop-b"))
    os.symlink("assets/../app.py", os.path.join(repo.path, "src/server/up.py"))
    repo.commit("feat: links")
    _, data = check_json(repo)
    by_path = {f["path"]: f["message"] for f in data["findings"] if f["rule"] == "SCOPE005"}
    assert "resolves to deploy/prod.yaml" in by_path["src/server/conf.yaml"]
    assert "resolves to deploy/prod.yaml" in by_path["src/server/conf2.yaml"]
    assert "loop of links" in by_path["src/server/loop-a"]
    # `assets/..` is the parent of deploy/, the repository root: app.py there, unowned but
    # not forbidden (a lexical reading would have said src/server/app.py)
    assert "src/server/up.py" not in by_path
    assert set(by_path) == {"src/server/conf.yaml", "src/server/conf2.yaml",
                            "src/server/loop-a", "src/server/loop-b"}


def test_symlink_inside_owned_is_fine(repo):
    os.symlink("app.py", os.path.join(repo.path, "src/server/main.py"))
    repo.commit("feat: alias")
    res, data = check_json(repo)
    assert res.code == 0 and data["findings"] == []


HOSTILE = [
    "src/components/with space.tsx",
    "src/components/ünïcödé.tsx",
    "src/components/quote\"s'.tsx",
    "src/components/-leading-dash.tsx",
    "src/components/new\nline.tsx",
    "src/components/tab\there.tsx",
]


def test_hostile_file_names_are_exact(repo):
    for name in HOSTILE:
        repo.write(name, "x\n")
    repo.commit("feat: odd names")
    _, data = check_json(repo)
    flagged = {f["path"] for f in data["findings"] if f["rule"] == "SCOPE001"}
    assert flagged == set(HOSTILE)


def test_non_utf8_file_name(repo):
    repo.write(b"src/components/latin1-\xe9.tsx", "x\n")
    # beside it, names that look like (or encode to) a surrogate escape in JSON
    repo.write("src/components/emoji-\U0001F600.tsx", "x\n")
    repo.write("src/components/back\\udc80slash.tsx", "x\n")
    repo.commit("feat: latin-1 name")
    res, data = check_json(repo)
    assert res.code == 1
    assert res.out.isascii()    # non-ASCII as \u escapes; the undecodable byte as U+FFFD
    flagged = {f["path"] for f in data["findings"] if f["rule"] == "SCOPE001"}
    assert flagged == {"src/components/latin1-\ufffd.tsx",
                       "src/components/emoji-\U0001F600.tsx",
                       "src/components/back\\udc80slash.tsx"}


def test_unowned_severity_configurable(tmp_path):
    cfg = "guard:\n  role: backend\n  unowned: warning\n"
    repo = backend_project(str(tmp_path / "p"), config=cfg)
    repo.commit("chore: script", {"scripts/x.sh": "echo\n"})
    res, data = check_json(repo)
    assert res.code == 0
    assert data["findings"][0]["severity"] == "warning"


def test_negation_in_project_patterns(tmp_path):
    cfg = ("guard:\n  role: backend\n  forbidden:\n"
           "    - paths: [src/server/legacy/, '!src/server/legacy/README.md']\n"
           "      note: legacy is frozen\n")
    repo = backend_project(str(tmp_path / "p"), config=cfg)
    repo.commit("feat: legacy", {"src/server/legacy/a.py": "x\n",
                                 "src/server/legacy/README.md": "doc\n"})
    _, data = check_json(repo)
    found = rules_by_path(data)
    assert ("SCOPE001", "src/server/legacy/a.py") in found
    assert not any(p == "src/server/legacy/README.md" for _, p in found)


def test_folder_only_glob_in_project_patterns(tmp_path):
    cfg = ("guard:\n  role: backend\n  forbidden:\n"
           "    - paths: [generated*/]\n      note: generated code is rebuilt, not edited\n")
    repo = backend_project(str(tmp_path / "p"), config=cfg)
    repo.commit("feat: edit", {"src/api/generated_v2/client.py": "x\n",
                               "src/api/generated.py": "x\n"})
    _, data = check_json(repo)
    assert rules_by_path(data) == {("SCOPE001", "src/api/generated_v2/client.py")}


def test_next_api_routes_are_shared_not_forbidden(repo):
    repo.commit("feat: route", {"src/app/api/orders/route.ts": "export {}\n",
                                "src/app/page.tsx": "export {}\n"})
    _, data = check_json(repo)
    found = rules_by_path(data)
    assert ("SCOPE002", "src/app/api/orders/route.ts") in found
    assert ("SCOPE001", "src/app/page.tsx") in found


def test_twenty_thousand_file_change(tmp_path):
    repo = backend_project(str(tmp_path / "big"))
    root = repo.path
    for d in range(200):
        folder = os.path.join(root, "src", "api" if d % 2 else "components", f"d{d}")
        os.makedirs(folder)
        for i in range(100):
            with open(os.path.join(folder, f"f{i}.py"), "w") as fh:
                fh.write(f"{d}-{i}\n")
    repo.commit("feat: big")
    res, data = check_json(repo)
    assert data["summary"]["changed_paths"] == 20000
    errors = [f for f in data["findings"] if f["rule"] == "SCOPE001"]
    assert len(errors) == 10000
