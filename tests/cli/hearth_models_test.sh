#!/usr/bin/env bash
# Drives `hearth models pull|list|inspect|rm` as a user would: pulls from a
# path and from a loopback HTTP(S) server (tests/store/range_server.mjs) that
# truncates, stalls, corrupts, redirects and lies; checks that nothing
# corrupt, truncated or foreign ever gets a name or a blob, that an
# interrupted pull resumes, and that `hearth serve` serves what was pulled.
# Usage: hearth_models_test.sh BUILD/hearth NODE
set -u
. "$(dirname "$0")/cli_checks.sh"
node="${2:-node}"
server_js="$(cd "$(dirname "$0")/../store" && pwd)/range_server.mjs"
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; rm -rf "$work"' EXIT

models="$work/models"
srv="$work/srv"
mkdir -p "$srv"
pull() { "$hearth" models pull --models-dir "$models" "$@"; }
blob_count() { find "$models/blobs" -type f 2>/dev/null | wc -l; }
partial_count() { find "$models/partial" -type f 2>/dev/null | wc -l; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

start_server() {  # start_server OUTFILE ARGS...: sets $port
  local out="$1"; shift
  "$node" "$server_js" --dir "$srv" "$@" >"$out" 2>&1 &
  pids+=($!)
  wait_until grep -q "listening on" "$out" 2>/dev/null
  port="$(sed -n 's/^listening on //p' "$out")"
}

"$hearth" synth --shape tiny --type q8_0 -o "$work/tiny.gguf" 2>/dev/null
"$hearth" synth --shape tiny --type q4_0 -o "$srv/web.gguf" 2>/dev/null
"$hearth" synth --shape tiny --type q4_0 --seed 2 -o "$srv/fresh.gguf" 2>/dev/null  # content pulled by no test
for name in big big2 big3 big4 stalled; do cp "$work/tiny.gguf" "$srv/$name.gguf"; done
head -c -1000 "$srv/web.gguf" >"$srv/cut.gguf"  # header intact, last tensor short
tiny_sha="$(sha_of "$work/tiny.gguf")"
web_sha="$(sha_of "$srv/web.gguf")"
fresh_sha="$(sha_of "$srv/fresh.gguf")"

# --- from a path
pull "$work/tiny.gguf" >"$work/pull.out" 2>"$work/pull.err"
check "pull from a path succeeds" test $? -eq 0
check "pull prints the name, size and sha256" grep -q "pulled tiny: $(stat -c %s "$work/tiny.gguf") bytes, sha256 $tiny_sha" "$work/pull.out"
check "the name is a relative link into blobs/" test "$(readlink "$models/tiny.gguf")" = "blobs/sha256-$tiny_sha"
check "the blob is read-only" test "$(stat -c %a "$models/blobs/sha256-$tiny_sha")" = 444
check "nothing is left in partial/" test "$(partial_count)" -eq 0
pull "$work/tiny.gguf" >"$work/again.out" 2>&1
check "pulling the same content again is a no-op" grep -q "already in the store" "$work/again.out"
expect_error "other content under a taken name" "already exists" models pull --models-dir "$models" "$srv/web.gguf" --name tiny
check "the refused pull left the name alone" test "$(readlink "$models/tiny.gguf")" = "blobs/sha256-$tiny_sha"
expect_error "a name with a slash" "model name" models pull --models-dir "$models" "$work/tiny.gguf" --name ../up
expect_error "a hidden name" "must not start" models pull --models-dir "$models" "$work/tiny.gguf" --name .x
expect_error "a missing source" "no file" models pull --models-dir "$models" "$work/absent.gguf"
expect_error "an unsupported scheme" "not supported" models pull --models-dir "$models" "ftp://host/x.gguf"
expect_error "a wrong --sha256" "expects" models pull --models-dir "$models" "$work/tiny.gguf" --name wrong --sha256 "$(printf 'a%.0s' $(seq 64))"
check "a hash mismatch keeps no blob or partial" test "$(blob_count)" -eq 1 -a "$(partial_count)" -eq 0
# Issue 17, defect 6: a --sha256 that names a blob already stored links it only once the source matches.
expect_error "a --sha256 of stored content for another source" "sha256 of .*web.gguf is $web_sha but --sha256 expects $tiny_sha" \
  models pull --models-dir "$models" "$srv/web.gguf" --name typo --sha256 "$tiny_sha"
check "the mistyped hash linked nothing" test ! -e "$models/typo.gguf" -a "$(blob_count)" -eq 1 -a "$(partial_count)" -eq 0
pull "$work/tiny.gguf" --name alias --sha256 "$tiny_sha" >"$work/alias.out" 2>&1
check "stored content is linked after the source is verified" grep -q "pulled alias: .*verified against --sha256" "$work/alias.out"
check "the verified alias shares the blob" test "$(readlink "$models/alias.gguf")" = "blobs/sha256-$tiny_sha" -a "$(blob_count)" -eq 1
pull "$work/tiny.gguf" --name alias --sha256 "$tiny_sha" >"$work/alias2.out" 2>&1
check "a no-op by hash says the source was not read" grep -q "already in the store.*was not read" "$work/alias2.out"

# --- over HTTP
log="$work/requests.log"
start_server "$work/server.out" --log "$log" --truncate-after 100000
check "the test server started" test -n "$port"
base="http://127.0.0.1:$port"

pull "$base/normal/web.gguf" >"$work/web.out" 2>&1
check "pull over http succeeds" grep -q "pulled web: .* sha256 $web_sha" "$work/web.out"
check "the http copy is byte-exact" cmp -s "$models/web.gguf" "$srv/web.gguf"
pull "$base/normal/web.gguf" --name web-alias --sha256 "$web_sha" >"$work/web-alias.out" 2>&1
check "a URL whose --sha256 is stored is still downloaded and verified" grep -q "pulled web-alias: .*verified against --sha256" "$work/web-alias.out"
check "the verified URL is linked to the stored blob" grep -q "already held this content" "$work/web-alias.out"
check "the server saw the second download" test "$(grep -c '"path":"/normal/web.gguf"' "$log")" -eq 2

pull "$base/truncate/big.gguf" >"$work/trunc1.out" 2>"$work/trunc1.err"
check "a truncated transfer fails" test $? -eq 1
check "a truncated transfer says it can resume" grep -q "run the same pull again to resume" "$work/trunc1.err"
check "a truncated transfer gets no name" test ! -e "$models/big.gguf"
check "a truncated transfer keeps its bytes in partial/" test "$(stat -c %s "$models/partial/big.gguf.part")" -eq 100000
"$hearth" models list --models-dir "$models" >"$work/list-partial.out" 2>&1
check "list shows the partial download" grep -q "big .* of .* from $base/truncate/big.gguf" "$work/list-partial.out"
pull "$base/truncate/big.gguf" >"$work/trunc2.out" 2>"$work/trunc2.err"
check "the second pull resumes" grep -q "resumed at 100000 bytes" "$work/trunc2.out"
check "the resume asked for the rest only" grep -q '"path":"/truncate/big.gguf","range":"bytes=100000-","ifRange":"\\"' "$log"
check "the resumed file is byte-exact" cmp -s "$models/big.gguf" "$work/tiny.gguf"
check "content pulled twice shares one blob" test "$(readlink "$models/big.gguf")" = "blobs/sha256-$tiny_sha"

pull "$base/truncate,norange/big2.gguf" >/dev/null 2>&1
pull "$base/truncate,norange/big2.gguf" >"$work/norange.out" 2>"$work/norange.err"
check "a server that ignores Range: the pull starts over" grep -q "starting over" "$work/norange.err"
check "a server that ignores Range: the copy is right" cmp -s "$models/big2.gguf" "$work/tiny.gguf"
pull "$base/truncate,badrange/big3.gguf" >/dev/null 2>&1
pull "$base/truncate,badrange/big3.gguf" >"$work/badrange.out" 2>"$work/badrange.err"
check "a malformed Content-Range: the pull starts over" grep -q "malformed" "$work/badrange.err"
check "a malformed Content-Range: the copy is right" cmp -s "$models/big3.gguf" "$work/tiny.gguf"
pull "$base/truncate,noetag/big4.gguf" >/dev/null 2>&1
pull "$base/truncate,noetag/big4.gguf" >/dev/null 2>"$work/noetag.err"
check "no validator: the pull starts over" grep -q "cannot be resumed" "$work/noetag.err"
check "no validator: no Range was sent" bash -c "! grep -q '\"path\":\"/truncate,noetag/big4.gguf\",\"range\":\"bytes' '$log'"
check "no validator: the copy is right" cmp -s "$models/big4.gguf" "$work/tiny.gguf"

n_blobs="$(blob_count)"
expect_error "corrupt bytes against --sha256" "expects $fresh_sha" models pull --models-dir "$models" "$base/corrupt/fresh.gguf" --name corrupt --sha256 "$fresh_sha"
expect_error "an HTML page" "not a GGUF file" models pull --models-dir "$models" "$base/html/page.gguf"
expect_error "a complete but truncated GGUF" "not a valid GGUF" models pull --models-dir "$models" "$base/normal/cut.gguf"
expect_error "an absurd Content-Length" "more than any model file" models pull --models-dir "$models" "$base/huge/web.gguf" --name huge
expect_error "a malformed Content-Length" "malformed" models pull --models-dir "$models" "$base/garbage/web.gguf" --name garbage
expect_error "a missing file" "404" models pull --models-dir "$models" "$base/normal/absent.gguf"
expect_error "too many redirects" "more than 5 redirects" models pull --models-dir "$models" "$base/redirect=9/web.gguf" --name loop
for name in corrupt page cut huge garbage absent loop; do
  check "$name gets no name" test ! -e "$models/$name.gguf"
done
check "refused downloads add no blob" test "$(blob_count)" -eq "$n_blobs"
check "refused downloads leave no partial" test "$(partial_count)" -eq 0
pull "$base/redirect=3/web.gguf" --name redirected >"$work/redirect.out" 2>&1
check "three redirects are followed" grep -q "pulled redirected: .* sha256 $web_sha" "$work/redirect.out"
pull "$base/chunked/web.gguf" --name chunked --sha256 "$web_sha" >"$work/chunked.out" 2>&1
check "a chunked body is verified" grep -q "verified against --sha256" "$work/chunked.out"

expect_error "a stalled server" "no progress" models pull --models-dir "$models" "$base/stall/stalled.gguf" --timeout 1
check "a stalled transfer keeps its bytes" test -s "$models/partial/stalled.gguf.part"
# A pull that stalls for as long as the test needs (stopped below): it takes the
# name's lock before it sends its request, so its request in the log means it holds it.
stall_requests() { grep -c '"path":"/stall/stalled.gguf"' "$log"; }
n_stall_requests="$(stall_requests)"
stalled_pull_started() { [ "$(stall_requests)" -gt "$n_stall_requests" ]; }
"$hearth" models pull --models-dir "$models" "$base/stall/stalled.gguf" --timeout 600 >/dev/null 2>&1 &
stalled_pid=$!
pids+=($stalled_pid)
check "the stalled pull sent its request" wait_until stalled_pull_started
expect_error "a second pull of the same name" "another pull" models pull --models-dir "$models" "$base/normal/stalled.gguf"
kill "$stalled_pid" 2>/dev/null
wait "$stalled_pid" 2>/dev/null
"$hearth" models rm --models-dir "$models" stalled >"$work/rm-partial.out" 2>&1
check "rm drops a partial download" grep -q "removed the partial download of stalled" "$work/rm-partial.out"
check "rm left partial/ empty" test "$(partial_count)" -eq 0

# --- over HTTPS (a self-signed certificate for 127.0.0.1)
if command -v openssl >/dev/null 2>&1 &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
    -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1; then
  start_server "$work/tls.out" --tls "$work/cert.pem" "$work/key.pem"
  pull "https://127.0.0.1:$port/normal/web.gguf" --name tls --ca-file "$work/cert.pem" >"$work/tls.out2" 2>&1
  check "pull over https with the CA succeeds" grep -q "pulled tls: .* sha256 $web_sha" "$work/tls.out2"
  expect_error "https without trusting the CA" "certificate verify failed" models pull --models-dir "$models" "https://127.0.0.1:$port/normal/web.gguf" --name untrusted
  expect_error "https to a name the certificate lacks" "mismatch" models pull --models-dir "$models" "https://localhost:$port/normal/web.gguf" --name wrongname --ca-file "$work/cert.pem"
else
  echo "skipped the https checks: no openssl command"
fi

# --- list, inspect, rm
"$hearth" models list --models-dir "$models" >"$work/list.out" 2>&1
for name in tiny web big redirected; do
  check "list shows $name" grep -q "^$name .*store" "$work/list.out"
done
check "list shows short hashes" grep -q "${tiny_sha:0:12}" "$work/list.out"
"$hearth" models list --models-dir "$models" --json >"$work/list.json" 2>&1
check "list --json names the full hash" grep -q "\"sha256\": \"$web_sha\"" "$work/list.json"
HEARTH_MODELS="$models" "$hearth" models list >"$work/env-list.out" 2>&1
check "HEARTH_MODELS names the directory" cmp -s "$work/list.out" "$work/env-list.out"

"$hearth" models inspect --models-dir "$models" web >"$work/inspect.out" 2>&1
check "inspect succeeds" test $? -eq 0
for fact in "in the store, sha256 $web_sha" "architecture   llama" "parameters" "tensor types   q4_0" "context        2048" \
  "dimensions     embedding 256" "tokenizer      gpt2" "chat template  yes" "plan" "max context" \
  "file type      Q4_0" "engine         hearth, family llama (" "capabilities: generate; runs this file"; do
  check "inspect shows '$fact'" grep -q "$fact" "$work/inspect.out"
done
"$hearth" models inspect "$work/tiny.gguf" >"$work/inspect-path.out" 2>&1
check "inspect takes a path" grep -q "q8_0" "$work/inspect-path.out"
expect_error "inspect of nothing" "no model named" models inspect --models-dir "$models" absent
printf 'not a gguf file at all' >"$work/text.gguf"
expect_error "inspect of a non-GGUF file" "cannot read" models inspect --models-dir "$models" "$work/text.gguf"

cp "$work/tiny.gguf" "$models/hand.gguf"
"$hearth" models list --models-dir "$models" >"$work/list-hand.out" 2>&1
check "a hand-placed file is listed as such" grep -q "^hand .* - .*plain file" "$work/list-hand.out"
expect_error "rm of a hand-placed file" "pass --force" models rm --models-dir "$models" hand
check "the hand-placed file is still there" test -f "$models/hand.gguf"
"$hearth" models rm --models-dir "$models" hand --force >/dev/null 2>&1
check "rm --force removes a hand-placed file" test ! -e "$models/hand.gguf"

"$hearth" models rm --models-dir "$models" big >"$work/rm-shared.out" 2>&1
check "rm keeps a blob another name links" grep -q "stays for" "$work/rm-shared.out"
check "the shared blob is still there" test -f "$models/blobs/sha256-$tiny_sha"
for name in tiny alias big2 big3 big4; do "$hearth" models rm --models-dir "$models" "$name" >"$work/rm-last.out" 2>&1; done
check "rm of the last name removes the blob" grep -q "and its blob" "$work/rm-last.out"
check "the unshared blob is gone" test ! -e "$models/blobs/sha256-$tiny_sha"
expect_error "rm of an absent model" "no model named" models rm --models-dir "$models" tiny
expect_error "rm of an unsafe name" "plain file name" models rm --models-dir "$models" ../models/web
expect_error "rm in a missing directory" "does not exist" models rm --models-dir "$work/nowhere" web

# --- hearth serve serves what was pulled (it follows the links)
"$hearth" serve --models-dir "$models" --port 0 >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
pids+=($serve_pid)
wait_until grep -q "listening on" "$work/serve.out" 2>/dev/null
serve_url="$(sed -n 's/^hearth: listening on //p' "$work/serve.out")"
"$node" -e "fetch('$serve_url/v1/models').then((r) => r.text()).then((t) => process.stdout.write(t))" >"$work/served.json" 2>&1
for name in web redirected chunked tls; do
  if [ "$name" = tls ] && [ ! -e "$models/tls.gguf" ]; then continue; fi
  check "serve lists the pulled model $name" grep -q "\"id\":\"$name\"" "$work/served.json"
done
kill "$serve_pid" 2>/dev/null
wait "$serve_pid" 2>/dev/null

finish_checks
