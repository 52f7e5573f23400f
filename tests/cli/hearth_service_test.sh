#!/usr/bin/env bash
# `hearth service` from outside, never touching this machine's services: HOME
# points into a temp dir and every call writes with --no-start (no systemctl or
# launchctl runs). The systemd unit passes `systemd-analyze verify` where that
# exists (Debian 12 has it); the launchd plist is checked as XML with xmllint
# where that exists (it is not checked by launchd itself: no macOS here).
# Usage: hearth_service_test.sh BUILD/hearth
set -u
. "$(dirname "$0")/cli_checks.sh"

export HOME="$work/home"
export XDG_CONFIG_HOME="$work/home/.config"
mkdir -p "$HOME" "$work/run dir"
unit="$XDG_CONFIG_HOME/systemd/user/hearth.service"
plist="$HOME/Library/LaunchAgents/dev.hearth.serve.plist"

(cd "$work/run dir" && "$hearth" service install --platform systemd --no-start -- \
  --models-dir "models 100%" --host 127.0.0.1 --port 9123 --keep-alive 30m >"$work/install.out" 2>&1)
check "install --no-start succeeds" test $? -eq 0
check "install writes the unit in the user's systemd directory" test -s "$unit"
check "install says what to run" grep -q "systemctl --user enable --now hearth.service" "$work/install.out"
check "the unit runs hearth serve with the arguments, quoted" \
  grep -qF "ExecStart=$(readlink -f "$hearth") serve --models-dir \"models 100%%\" --host 127.0.0.1 --port 9123 --keep-alive 30m" "$unit"
check "restarts on failure" grep -qx "Restart=on-failure" "$unit"
check "runs where install was run" grep -qx "WorkingDirectory=$work/run dir" "$unit"
check "starts with the user's services" grep -qx "WantedBy=default.target" "$unit"
check "runs as the user (no User= in a user unit)" bash -c "! grep -q '^User=' '$unit'"
if command -v systemd-analyze >/dev/null; then
  # --man=no: no man pages to look up; --recursive-errors=no: other units are not ours to judge.
  systemd-analyze verify --man=no --recursive-errors=no "$unit" >"$work/verify.out" 2>&1
  check "systemd-analyze verify accepts the unit" test $? -eq 0
  check "systemd-analyze verify says nothing about it" bash -c "! grep -q 'hearth.service' '$work/verify.out'"
  [ -s "$work/verify.out" ] && cat "$work/verify.out"
else
  echo "systemd-analyze not found: the unit is checked as text only"
fi

"$hearth" service status --platform systemd --no-start >"$work/status.out" 2>&1
check "status finds the unit" grep -q "installed: $unit" "$work/status.out"
check "status shows the command" grep -q "runs: .* serve " "$work/status.out"

"$hearth" service install --platform launchd --no-start -- --models-dir "/srv/a&b<c>" >"$work/launchd.out" 2>&1
check "launchd install --no-start succeeds" test $? -eq 0
check "the plist goes to LaunchAgents" test -s "$plist"
check "launchd install says what to run" grep -q "launchctl bootstrap gui/" "$work/launchd.out"
check "the plist escapes XML" grep -qF "<string>/srv/a&amp;b&lt;c&gt;</string>" "$plist"
check "the plist restarts on failure only" grep -qF "<key>SuccessfulExit</key>" "$plist"
check "the plist starts at load" grep -qF "<key>RunAtLoad</key>" "$plist"
if command -v xmllint >/dev/null; then
  check "the plist is well-formed XML" xmllint --noout --nonet "$plist"
  check "the plist runs serve" test "$(xmllint --nonet --xpath 'string(//array/string[2])' "$plist")" = serve
  check "the plist's argument reads back unescaped" \
    test "$(xmllint --nonet --xpath 'string(//array/string[4])' "$plist")" = "/srv/a&b<c>"
fi

expect_error "install with an unknown serve flag" "not valid for .hearth serve" \
  service install --platform systemd --no-start --dir "$work/other" -- --no-such-flag
check "a refused install writes nothing" test ! -e "$work/other/hearth.service"
expect_error "install with a line break in an argument" "control character" \
  service install --platform systemd --no-start --dir "$work/other" -- --models-dir "$(printf 'a\nb')"
expect_error "an unknown platform" "systemd or launchd" service status --platform upstart --no-start

"$hearth" service uninstall --platform systemd --no-start >"$work/uninstall.out" 2>&1
check "uninstall --no-start succeeds" test $? -eq 0
check "uninstall removes the unit" test ! -e "$unit"
"$hearth" service status --platform systemd --no-start >/dev/null 2>&1
check "status after uninstall says not installed (exit 3)" test $? -eq 3
expect_error "uninstall twice" "no service is installed" service uninstall --platform systemd --no-start

finish_checks
