# Shared by the shell tests that drive the built `hearth` binary as a user
# would (sourced, not run). The sourcing script was called as `SCRIPT BUILD/hearth`.
# Provides: $hearth, a temp dir $work (removed on exit; $HEARTH_STATE_DIR is in it), check, expect_error,
# wait_until (waits for an observable event, never for time) and finish_checks (prints "N passed, N failed"; the script's status).
hearth="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HEARTH_STATE_DIR="$work/state"  # hearth.db of the commands run here, never the user's
n_failed=0
n_passed=0

check() {  # check NAME CONDITION-COMMAND...
  local name="$1"; shift
  if "$@"; then n_passed=$((n_passed + 1)); else echo "FAILED: $name"; n_failed=$((n_failed + 1)); fi
}

expect_error() {  # expect_error NAME PATTERN ARGS...: a refusal, not a crash, with a reason on stderr
  local name="$1" pattern="$2"; shift 2
  "$hearth" "$@" >/dev/null 2>"$work/err"
  local rc=$?
  check "$name exits non-zero without crashing" test "$rc" -ne 0 -a "$rc" -lt 128
  check "$name says why" grep -qi -e "$pattern" "$work/err"
}

wait_until() {  # wait_until CONDITION-COMMAND...: polls until it holds; false only past a 2-minute guard
  local tries
  for tries in $(seq 1200); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

finish_checks() {
  echo "$n_passed passed, $n_failed failed"
  [ "$n_failed" -eq 0 ]
}
