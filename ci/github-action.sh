#!/usr/bin/env bash
# The steps of guard's GitHub Action (action.yml at the repository root), kept in one script
# so tests can run them with the variables GitHub sets.
#
#   github-action.sh install   pip-installs guard from the action's own checkout
#                              ($GITHUB_ACTION_PATH) with the `sql` extra (sqlglot: the
#                              migrations check runs here) and the extras in $INPUT_EXTRAS
#   github-action.sh run       runs `guard check` on $GITHUB_WORKSPACE: annotations on stdout
#                              (--format github), the hand-off report appended to
#                              $GITHUB_STEP_SUMMARY by guard itself, SARIF when $INPUT_SARIF
#                              names a file; writes exit-code= and sarif= to $GITHUB_OUTPUT
#                              and exits with guard's exit code (0 clean, 1 findings, 2 error)
#
# Inputs arrive as INPUT_* environment variables (action.yml maps them; a composite action
# does not set them itself). They are passed to guard as separate argv words, never through
# eval or a shell, and an empty input means "guard's default", never an empty option.
set -euo pipefail

# "scope, policy" or one check per line -> "scope,policy"
_list() {
  printf '%s' "$1" | tr '\n' ',' | tr -d '[:space:]' | sed -e 's/,,*/,/g' -e 's/^,//' -e 's/,$//'
}

install() {
  local spec="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this as a step of the action}"
  local extras
  extras="$(_list "sql,${INPUT_EXTRAS:-}")"
  spec="${spec}[${extras}]"
  "${PYTHON:-python}" -m pip install --quiet --disable-pip-version-check "$spec"
}

run() {
  local workspace="${GITHUB_WORKSPACE:-$PWD}"
  local args=(check -C "$workspace" --format github)
  local checks skip sarif=""
  if [ -n "${INPUT_BASE:-}" ]; then args+=(--base "$INPUT_BASE"); fi
  if [ -n "${INPUT_ROLE:-}" ]; then args+=(--role "$INPUT_ROLE"); fi
  checks="$(_list "${INPUT_CHECKS:-}")"
  if [ -n "$checks" ]; then args+=(--only "$checks"); fi
  skip="$(_list "${INPUT_SKIP:-}")"
  if [ -n "$skip" ]; then args+=(--skip "$skip"); fi
  if [ -n "${INPUT_FAIL_ON:-}" ]; then args+=(--fail-on "$INPUT_FAIL_ON"); fi
  if [ -n "${INPUT_SARIF:-}" ]; then
    case "$INPUT_SARIF" in
      /*) sarif="$INPUT_SARIF" ;;
      *) sarif="$workspace/$INPUT_SARIF" ;;
    esac
    rm -f -- "$sarif"           # a stale file from an earlier step must not be uploaded
    args+=(--output "sarif=$sarif")
  fi

  local code=0 errors
  errors="$(mktemp)"
  # stderr kept aside too: an exit 2's one-line reason goes into the annotation below
  "${GUARD:-guard}" "${args[@]}" 2>"$errors" || code=$?
  cat "$errors" >&2

  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
      echo "exit-code=$code"
      if [ -n "$sarif" ] && [ -f "$sarif" ]; then echo "sarif=$sarif"; fi
    } >> "$GITHUB_OUTPUT"
  fi
  if [ "$code" -eq 2 ]; then
    local reason
    # the last line guard wrote, escaped as workflow commands need (% CR LF)
    reason="$(grep -v '^[[:space:]]*$' "$errors" | tail -n 1 | sed -e 's/%/%25/g' -e 's/\r/%0D/g')"
    reason="${reason:-see the log above}"
    echo "::error title=guard::guard could not check this branch (exit 2): $reason"
  fi
  rm -f -- "$errors"
  return "$code"
}

case "${1:-}" in
  install) install ;;
  run) run ;;
  *) echo "usage: $0 install|run" >&2; exit 2 ;;
esac
