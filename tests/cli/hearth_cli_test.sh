#!/usr/bin/env bash
# Drives the built `hearth` binary as a user would: synth, run, bench, and the
# plain-sentence errors for bad input. Usage: hearth_cli_test.sh BUILD/hearth
set -u
. "$(dirname "$0")/cli_checks.sh"

"$hearth" synth --shape tiny --type q4_k_m -o "$work/tiny.gguf" 2>"$work/synth.err"
check "synth writes a file" test -s "$work/tiny.gguf"
check "synth reports what it wrote" grep -q "wrote" "$work/synth.err"

"$hearth" run -m "$work/tiny.gguf" --temp 0 -n 16 -q "The quick brown fox" >"$work/greedy1.out" 2>/dev/null
"$hearth" run -m "$work/tiny.gguf" --temp 0 -n 16 -q "The quick brown fox" >"$work/greedy2.out" 2>/dev/null
check "run prints the prompt and a continuation" \
  bash -c "[ \$(wc -c <'$work/greedy1.out') -gt 20 ] && grep -q 'The quick brown fox' '$work/greedy1.out'"
check "greedy runs agree" cmp -s "$work/greedy1.out" "$work/greedy2.out"

"$hearth" run -m "$work/tiny.gguf" --seed 7 -n 16 -q "Hello" >"$work/seed7a.out" 2>/dev/null
"$hearth" run -m "$work/tiny.gguf" --seed 7 -n 16 -q "Hello" >"$work/seed7b.out" 2>/dev/null
check "same seed, same output" cmp -s "$work/seed7a.out" "$work/seed7b.out"

"$hearth" run -m "$work/tiny.gguf" --chat -n 8 "Hi there" >"$work/chat.out" 2>"$work/chat.err"
check "chat run succeeds" test $? -eq 0
check "run reports timings" grep -q "tokens/s" "$work/chat.err"

"$hearth" bench -m "$work/tiny.gguf" --prompt-tokens 64 --gen-tokens 16 --reps 1 --json >"$work/bench.json" 2>/dev/null
for key in pp512_tps tg128_tps read_gbs tg_bound_tps bound_fraction; do
  check "bench --json has $key" grep -q "\"$key\":[0-9]" "$work/bench.json"
done

# Bad input: a plain sentence on stderr, a non-zero exit, no crash.
expect_error "missing model" "cannot load" run -m "$work/absent.gguf" "x"
head -c 1000 "$work/tiny.gguf" >"$work/truncated.gguf"
expect_error "truncated model" "cannot load" run -m "$work/truncated.gguf" "x"
printf 'not a gguf file at all' >"$work/text.gguf"
expect_error "not a GGUF file" "cannot load" bench -m "$work/text.gguf"
expect_error "unknown shape" "unknown shape" synth --shape nope -o "$work/x.gguf"
expect_error "unknown type" "unknown type" synth --shape tiny --type q3_x -o "$work/x.gguf"
expect_error "bad sampling" "temperature" run -m "$work/tiny.gguf" --temp -1 "x"
expect_error "prompt beyond the context" "exceeds the context" run -m "$work/tiny.gguf" -c 4 "one two three four five six"
"$hearth" run -m "$work/tiny.gguf" -c 4 "one two three four five six" >"$work/refused.out" 2>/dev/null
check "a refused run prints nothing on stdout" test ! -s "$work/refused.out"

# Issue 17: flags that were ignored or answered with an internal name.
expect_error "--system without --chat" "system needs --chat" run -m "$work/tiny.gguf" --system "Be brief." "x"
expect_error "bench --prompt-tokens beyond one pass" "prompt-tokens must be from 1 to 65536, not 100000" \
  bench -m "$work/tiny.gguf" --prompt-tokens 100000
expect_error "bench --gen-tokens 0" "gen-tokens must be from 1 to" bench -m "$work/tiny.gguf" --gen-tokens 0
expect_error "bench-serving --ctx beyond the limit" "ctx must be from 1 to 16777216, not 100000000" \
  bench-serving -m "$work/tiny.gguf" --ctx 100000000
expect_error "bench-serving --prompt-tokens beyond --ctx" "prompt-tokens must be from 1 to 1023, not 2000" \
  bench-serving -m "$work/tiny.gguf" --prompt-tokens 2000
expect_error "bench-serving --reps 0" "reps must be from 1 to" bench-serving -m "$work/tiny.gguf" --reps 0

# --version and version: "hearth X.Y.Z", optionally "(git COMMIT)".
"$hearth" --version >"$work/version.out" 2>&1
check "--version succeeds" test $? -eq 0
check "--version prints the version" grep -qE '^hearth [0-9]+\.[0-9]+\.[0-9]+( \(git [0-9a-f]+\))?$' "$work/version.out"
"$hearth" version >"$work/version2.out" 2>&1
check "version prints the same" cmp -s "$work/version.out" "$work/version2.out"

finish_checks
