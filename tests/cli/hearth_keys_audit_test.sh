#!/usr/bin/env bash
# `hearth keys` and `hearth audit egress` as a user runs them: the secret is
# printed once and stored only as a hash, list never shows it, revoke sticks,
# the state directory's resolution, the audit of an empty ledger, and the
# plain-sentence refusals. (The audit of a filled ledger: tests/cli/audit_command_test.cpp.)
# Usage: hearth_keys_audit_test.sh BUILD/hearth
set -u
. "$(dirname "$0")/cli_checks.sh"

export HEARTH_STATE_DIR="$work/state"
db="$work/state/hearth.db"

# Nothing yet: list and audit read, they do not create the state.
"$hearth" keys list >"$work/list0.out" 2>"$work/list0.err"
check "list with no state succeeds" test $? -eq 0
check "list with no state says there are no keys" grep -q "No API keys" "$work/list0.out"
"$hearth" audit egress >"$work/audit0.out" 2>"$work/audit0.err"
check "audit of an empty ledger succeeds" test $? -eq 0
check "audit of an empty ledger says so" grep -q "No requests left the boundary since" "$work/audit0.out"
check "audit of an empty ledger prints zero totals" grep -q "Total: 0 requests, 0 tokens in, 0 tokens out, 0.000000 USD" "$work/audit0.out"
check "reading does not create the state" test ! -e "$db"
"$hearth" audit egress --json --since 7d >"$work/audit0.json" 2>/dev/null
check "audit --json of an empty ledger" grep -q '"requests": \[\]' "$work/audit0.json"

# Create: the secret once, on a line of its own, with the warning.
"$hearth" keys create --name alice --class internal --rpm 60 --tpm 100000 --monthly-cloud-budget 12.50 \
  >"$work/create.out" 2>"$work/create.err"
check "create succeeds" test $? -eq 0
secret="$(grep -E '^hk-[A-Za-z0-9]{40}$' "$work/create.out")"
check "create prints one secret" test "$(grep -cE '^hk-[A-Za-z0-9]{40}$' "$work/create.out")" -eq 1
check "create says the secret cannot be shown again" grep -q "cannot be shown again" "$work/create.out"
check "create restates the limits" grep -q "class internal, 60 requests/min, 100000 tokens/min, a monthly cloud budget of 12.500000 USD" "$work/create.out"
check "the state file is private" test "$(stat -c %a "$db")" = 600
check "the state directory is private" test "$(stat -c %a "$work/state")" = 700
check "the secret is not in the state files" bash -c "! grep -qa -- '${secret:3}' '$work'/state/hearth.db*"

"$hearth" keys create --name build-bot --class public >"$work/create2.out" 2>&1
check "a second key with no limits" grep -q "no request limit, no token limit, no monthly cloud budget" "$work/create2.out"
secret2="$(grep -E '^hk-' "$work/create2.out")"
check "two keys, two secrets" test -n "$secret2" -a "$secret2" != "$secret"

# List: names, prefixes, classes, limits; never a secret.
"$hearth" keys list >"$work/list.out" 2>&1
check "list succeeds" test $? -eq 0
check "list shows alice's prefix" grep -q "alice.*${secret:0:9}\.\.\..*internal.*60.*100000.*12.500000" "$work/list.out"
check "list shows build-bot" grep -q "build-bot.*${secret2:0:9}\.\.\..*public" "$work/list.out"
check "list never prints a secret" bash -c "! grep -q -e '${secret:9}' -e '${secret2:9}' '$work/list.out'"
"$hearth" keys list --json >"$work/list.json" 2>&1
check "list --json has the budget in micro-dollars" grep -q '"monthly_cloud_budget_udollars": 12500000' "$work/list.json"
check "list --json never prints a secret" bash -c "! grep -q -e '${secret:9}' '$work/list.json'"

# Revoke.
"$hearth" keys revoke alice >"$work/revoke.out" 2>&1
check "revoke succeeds" grep -q "Revoked key 'alice'" "$work/revoke.out"
"$hearth" keys list >"$work/list2.out" 2>&1
check "list shows the revocation time" bash -c "grep alice '$work/list2.out' | grep -qE '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} *$'"
check "build-bot is still active" bash -c "grep build-bot '$work/list2.out' | grep -qE ' -$'"
expect_error "revoke twice" "already revoked" keys revoke alice
expect_error "revoke an unknown key" "no key is named 'carol'" keys revoke carol
# Issue 17: revoke takes --name as create does, or the positional; exactly one.
"$hearth" keys create --name dave --class public >/dev/null 2>&1
"$hearth" keys revoke --name dave >"$work/revoke-flag.out" 2>&1
check "revoke --name succeeds" grep -q "Revoked key 'dave'" "$work/revoke-flag.out"
expect_error "revoke with both --name and a name" "not both" keys revoke --name build-bot build-bot
expect_error "revoke without a name" "which key to revoke" keys revoke
expect_error "a revoked name is not reused" "already exists (revoked" keys create --name alice --class internal

# --state-dir wins over $HEARTH_STATE_DIR.
"$hearth" keys create --name other --class confidential --state-dir "$work/other" >/dev/null 2>&1
check "--state-dir writes there" test -s "$work/other/hearth.db"
"$hearth" keys list --state-dir "$work/other" >"$work/list3.out" 2>&1
check "--state-dir lists only its keys" bash -c "grep -q other '$work/list3.out' && ! grep -q build-bot '$work/list3.out'"

# The audit's flags.
for since in 24h 7d 90m 2026-11-01 2026-11-01T10:00:00Z; do
  "$hearth" audit egress --since "$since" --key alice >/dev/null 2>"$work/since.err"
  check "audit --since $since" test $? -eq 0
done

# Refusals: one sentence on stderr, exit 1.
expect_error "duplicate name" "already exists" keys create --name build-bot --class public
expect_error "bad name" "a key name is 1 to 64 characters" keys create --name "bad name" --class public
expect_error "long name" "a key name is 1 to 64 characters" keys create --name "$(printf 'a%.0s' $(seq 65))" --class public
expect_error "unknown class" "class must be public, internal or confidential" keys create --name x --class secret
expect_error "rpm zero" "rpm must be a whole number" keys create --name x --class public --rpm 0
expect_error "rpm not a number" "rpm must be a whole number" keys create --name x --class public --rpm 10abc
expect_error "tpm too large" "tpm must be a whole number" keys create --name x --class public --tpm 99999999999
expect_error "budget not money" "monthly-cloud-budget: .* is not an amount" keys create --name x --class public --monthly-cloud-budget 12.5.0
expect_error "budget negative" "monthly-cloud-budget: .* is not an amount" keys create --name x --class public --monthly-cloud-budget -3
expect_error "budget past micro-dollars" "monthly-cloud-budget: .* is not an amount" keys create --name x --class public --monthly-cloud-budget 0.0000001
expect_error "bad --since" "is not a date" audit egress --since yesterday
expect_error "impossible date" "is not a date" audit egress --since 2026-02-30
expect_error "bad --key" "a key name is" audit egress --key "a/b"
"$hearth" keys create --name y --class public --rpm 0 >"$work/refused.out" 2>"$work/refused.err"
check "a refusal exits 1" test $? -eq 1
check "a refusal is one line" test "$(wc -l <"$work/refused.err")" -eq 1
check "a refusal prints nothing on stdout" test ! -s "$work/refused.out"
printf 'not a database, just text that is long enough to fill a header page %.0s' $(seq 100) >"$work/junk.db"
mkdir -p "$work/junk" && cp "$work/junk.db" "$work/junk/hearth.db"
expect_error "a state file that is not a database" "not a hearth database" keys list --state-dir "$work/junk"
HOME="" HEARTH_STATE_DIR="" "$hearth" keys list >/dev/null 2>"$work/nohome.err"
check "no HOME and no state dir is refused" grep -q "HOME is not set" "$work/nohome.err"

finish_checks
