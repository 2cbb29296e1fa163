#!/usr/bin/env bash
# The contract check's route inventory on the oldest and the newest releases of each framework
# guard supports: one virtualenv per set, guard installed from this checkout, then
# tests/test_contract_inventory.py (and the app-detection tests that need no server). A test
# that skips for a missing framework fails the run: the matrix exists so that nothing skips.
#
#   ci/contract-matrix.sh            both sets
#   ci/contract-matrix.sh oldest     one set (CI runs this one; see docs/contract.md)
#
# The versions are written down in docs/contract.md; change both together.
set -euo pipefail
cd "$(dirname "$0")/.."

# the floors of pyproject.toml's test extra (flask-smorest 0.44 needs flask 3.0.2 and
# werkzeug 3.0.1, so those are the Flask floor here; it caps marshmallow below 4 itself)
OLDEST=(
  "fastapi==0.110.0"                  # pins starlette 0.36.x
  "flask==3.0.2" "werkzeug==3.0.1" "flask-smorest==0.44.0"
  "django==4.2" "djangorestframework==3.15.0" "drf-spectacular==0.27.0"
)
NEWEST=(
  "fastapi" "starlette" "flask" "flask-smorest" "django" "djangorestframework"
  "drf-spectacular"
)
TESTS=(tests/test_contract_inventory.py tests/test_contract_detect.py)

run_set() {
  local name="$1"; shift
  local venv="${GUARD_MATRIX_DIR:-/tmp/guard-contract-matrix}/$name"
  echo "contract-matrix: $name: $*" >&2
  python3 -m venv --clear "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "$@" \
    pytest httpx ".[contract]" >&2 || { echo "contract-matrix: $name: install failed" >&2; return 1; }
  "$venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null |
    grep -i -E '^(fastapi|starlette|flask|flask-smorest|django|djangorestframework|drf-spectacular) ' >&2
  local out rc=0
  out="$("$venv/bin/python" -m pytest -q -rs -p no:cacheprovider -m 'not slow' "${TESTS[@]}" 2>&1)" || rc=$?
  printf '%s\n' "$out"
  if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q -E '^SKIPPED'; then
    echo "contract-matrix: $name: a test skipped (a framework did not install or import)" >&2
    rc=1
  fi
  return "$rc"
}

status=0
for set in "${@:-oldest newest}"; do
  for one in $set; do
    case "$one" in
      oldest) run_set oldest "${OLDEST[@]}" || status=1 ;;
      newest) run_set newest "${NEWEST[@]}" || status=1 ;;
      *) echo "contract-matrix: unknown set '$one' (oldest or newest)" >&2; exit 2 ;;
    esac
  done
done
exit "$status"
