#!/usr/bin/env bash
# `hearth batch` as a user runs it against a real `hearth serve` on a tiny
# random model: submit --wait, status, results (output and error files),
# cancel of a finished batch, and the plain-sentence refusals. (The APIs
# themselves: tests/api/batch_test.mjs.)
# Usage: hearth_batch_test.sh BUILD/hearth
set -u
. "$(dirname "$0")/cli_checks.sh"

"$hearth" synth --shape tiny --type q8_0 -o "$work/tiny.gguf" >/dev/null 2>&1
"$hearth" serve --port 0 --model "$work/tiny.gguf" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
check "serve starts" wait_until grep -q "^hearth: listening on " "$work/serve.out"
url="$(sed -n 's/^hearth: listening on //p' "$work/serve.out")"

for idx in 1 2 3; do
  printf '{"custom_id":"r%s","method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":"hi %s"}],"max_tokens":4,"seed":1}}\n' "$idx" "$idx"
done >"$work/in.jsonl"
printf '{"custom_id":"bad","method":"POST","url":"/v1/chat/completions","body":{"messages":[],"max_tokens":4}}\n' >>"$work/in.jsonl"

"$hearth" batch submit "$work/in.jsonl" --model tiny --url "$url" --wait >"$work/submit.out" 2>"$work/submit.err"
check "submit --wait succeeds" test $? -eq 0
id="$(head -n 1 "$work/submit.out")"
check "submit prints the batch id" grep -q '^batch_[A-Za-z0-9]*$' <<<"$id"
check "the summary counts the lines" grep -q "completed: 4/4 lines done, 1 failed" "$work/submit.out"
check "progress was shown" grep -q "lines" "$work/submit.err"

"$hearth" batch status "$id" --url "$url" >"$work/status.out"
check "status names the batch" grep -q "^$id completed" "$work/status.out"
"$hearth" batch results "$id" --url "$url" -o "$work/out.jsonl"
check "results writes the output file" test "$(wc -l <"$work/out.jsonl")" -eq 3
check "output lines carry their custom_id" grep -q '"custom_id":"r2"' "$work/out.jsonl"
"$hearth" batch results "$id" --url "$url" --errors >"$work/errors.jsonl"
check "the error file holds the bad line" grep -q '"custom_id":"bad".*"status_code":400' "$work/errors.jsonl"

expect_error "cancel of a finished batch" "it is completed" batch cancel "$id" --url "$url"
expect_error "status of an unknown batch" "No such Batch" batch status batch_nope --url "$url"
expect_error "a path-like id" "is not a batch id" batch status "../x" --url "$url"
expect_error "a bad window" "--window: '25:00-01:00' is not a window" batch submit "$work/in.jsonl" --window 25:00-01:00 --url "$url"
printf '{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"other","messages":[]}}\n' >"$work/other.jsonl"
expect_error "a line naming another model" "names the model \"other\", not --model tiny" batch submit "$work/other.jsonl" --model tiny --url "$url"
printf 'not json\n' >"$work/bad.jsonl"
expect_error "a line that is not JSON" "bad.jsonl:1 is not a JSON object" batch submit "$work/bad.jsonl" --url "$url"
expect_error "no server there" "127.0.0.1" batch status "$id" --url "http://127.0.0.1:1"

finish_checks
