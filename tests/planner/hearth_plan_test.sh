#!/usr/bin/env bash
# Drives `hearth plan` as a user would: a file, a catalog shape, --all, --json,
# and the plain-sentence errors for bad input. Usage: hearth_plan_test.sh BUILD/hearth
set -u
. "$(dirname "$0")/../cli/cli_checks.sh"

"$hearth" synth --shape tiny --type q8_0 -o "$work/tiny.gguf" 2>/dev/null
"$hearth" plan "$work/tiny.gguf" --machine mac-mini-m4-16 >"$work/file.out" 2>&1
check "plan of a file succeeds" test $? -eq 0
for term in weights "kv cache" scratch overhead total "fits: yes" "largest context" "decode bound"; do
  check "plan of a file shows $term" grep -q "$term" "$work/file.out"
done

# The same shape and type from the catalog plans the same bytes as the file.
"$hearth" plan "$work/tiny.gguf" --machine h100-80 --json >"$work/file.json" 2>/dev/null
"$hearth" plan --shape tiny --type q8_0 --machine h100-80 --json >"$work/shape.json" 2>/dev/null
check "file and shape agree on the total" \
  bash -c "[ \"\$(grep total_bytes '$work/file.json')\" = \"\$(grep total_bytes '$work/shape.json')\" ]"
check "shape --json names the best type" grep -q '"best_type": "f32"' "$work/shape.json"

"$hearth" plan --shape llama-3.1-8b --type f32 --ctx 131072 --machine mac-mini-m4-16 >"$work/big.out" 2>&1
check "a model too large says so" grep -q "fits: NO" "$work/big.out"

"$hearth" plan --machine mac-studio-m4max-64 --all >"$work/all.out" 2>&1
check "--all lists every shape" bash -c "[ \$(grep -c 'llama-3.1-8b' '$work/all.out') -ge 9 ]"
"$hearth" plan --machine mac-studio-m4max-64 --all --json >"$work/all.json" 2>&1
check "--all --json lists models" grep -q '"models"' "$work/all.json"
"$hearth" plan --shape smollm-135m >"$work/local.out" 2>&1
check "the local machine is the default" grep -q "on local" "$work/local.out"

expect_error "nothing to plan" "give a model file" plan
expect_error "file and shape" "not both" plan "$work/tiny.gguf" --shape tiny
expect_error "missing file" "cannot read" plan "$work/absent.gguf"
printf 'not a gguf file at all' >"$work/text.gguf"
expect_error "not a GGUF file" "cannot read" plan "$work/text.gguf"
expect_error "unknown shape" "unknown shape" plan --shape nope
expect_error "unknown type" "unknown type" plan --shape tiny --type q3_x
expect_error "unknown machine" "unknown machine" plan --shape tiny --machine pdp-11
expect_error "zero context" "context 0 is outside" plan --shape tiny --ctx 0
expect_error "zero parallel" "parallel 0 is outside" plan --shape tiny --parallel 0
expect_error "bad KV type" "unknown KV type" plan --shape tiny --kv-type q4_0
expect_error "--all with a shape" "drop the model" plan --all --shape tiny

finish_checks
