// Soak: a node and a gateway with two nodes under mixed traffic for a bounded time, on loopback,
// while models load and unload all the time (keep-alive 0) and model files are replaced under the
// running servers (in place and by rename). At the end: every server is still running, the RSS and
// open descriptors of each process are flat after warm-up, and no confidential request reached the
// mock cloud or its ledger, and no answer was a 5xx other than 503. Prints one JSON summary; exits
// non-zero when a check fails.
//
//   node bench/soak.mjs                        # 600 s (SOAK_SECONDS), 6 clients (SOAK_CLIENTS)
//   HEARTH_BIN=build/hearth SOAK_SECONDS=60 node bench/soak.mjs
//
// Needs tests/api's npm packages (./scripts/setup installs them). Numbers go to docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HearthServer, hearth_bin, run_hearth, synthesize_models } from '../tests/api/hearth_server.mjs';
import { start_mock_openai } from '../tests/api/mock_openai.mjs';

const soak_ms = Number(process.env.SOAK_SECONDS ?? 600) * 1000;
const n_clients = Number(process.env.SOAK_CLIENTS ?? 6);
const warmup_ms = Math.min(60_000, soak_ms / 5);
const sample_every_ms = 5_000;
const replace_every_ms = 15_000;
const marker = 'CONFIDENTIAL-SOAK-MARKER';

const work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-soak-'));
const state_dir = path.join(work_dir, 'state');
const source_dir = synthesize_models(path.join(work_dir, 'source'));

// Real copies, not links: the soak replaces them.
function models_dir(name, files) {
  const dir = path.join(work_dir, name);
  fs.mkdirSync(dir);
  for (const file of files) fs.copyFileSync(path.join(source_dir, `${file}.gguf`), path.join(dir, `${file}.gguf`));
  return dir;
}

function create_key(name, data_class) {
  const out = run_hearth(['keys', 'create', '--state-dir', state_dir, '--name', name, '--class', data_class]);
  return out.split('\n').find((line) => /^hk-[A-Za-z0-9]{40}$/.test(line));
}

const counts = {}; // "action status" -> n
const error_bodies = {}; // "action status" -> the first few bodies of a 5xx other than 503
function count(action, status) {
  const key = `${action} ${status}`;
  counts[key] = (counts[key] ?? 0) + 1;
}

function pick(weighted) {
  const total = weighted.reduce((sum, [weight]) => sum + weight, 0);
  let at = Math.random() * total;
  for (const [weight, value] of weighted) {
    if ((at -= weight) < 0) return value;
  }
  return weighted[weighted.length - 1][1];
}

async function drain(res) {
  await res.arrayBuffer().catch(() => {});
}

function chat_body(model, content, extra = {}) {
  return { model, messages: [{ role: 'user', content }], max_tokens: 8, ...extra };
}

async function main() {
  const secrets = { alice: create_key('alice', 'public'), bob: create_key('bob', 'confidential') };
  const cloud = await start_mock_openai();
  const dir_a = models_dir('a', ['tiny', 'tiny-b']);
  const dir_b = models_dir('b', ['tiny']);
  fs.mkdirSync(path.join(work_dir, 'none'));
  const node_args = ['--ctx', '512', '--keep-alive', '0', '--state-dir', state_dir];
  const node_a = await HearthServer.start(['--models-dir', dir_a, ...node_args]);
  const node_b = await HearthServer.start(['--models-dir', dir_b, ...node_args]);
  const config = path.join(work_dir, 'gateway.toml');
  fs.writeFileSync(
    config,
    `models_dir = "none"
require_keys = true

[gateway]
poll_interval = "500ms"
down_after = 2

[[nodes]]
name = "a"
url = "${node_a.base_url}"
api_key_env = "SOAK_NODE_KEY"

[[nodes]]
name = "b"
url = "${node_b.base_url}"
api_key_env = "SOAK_NODE_KEY"

[[providers]]
name = "mock"
kind = "openai-compatible"
base_url = "${cloud.url}"

[[aliases]]
name = "chat"
local = "tiny"
cloud = ["mock:gpt-mock"]

[[aliases]]
name = "cloud-only"
cloud = ["mock:gpt-mock"]

[policy]
default_class = "confidential"
public = ["local", "mock"]
internal = ["local"]
confidential = ["local"]
`,
  );
  process.env.SOAK_NODE_KEY = secrets.bob; // the gateway's key on the nodes (loopback: optional there)
  const gateway = await HearthServer.start(['--config', config, '--state-dir', state_dir]);
  const servers = { node_a, node_b, gateway };

  const auth = (name) => ({ authorization: `Bearer ${secrets[name]}` });
  const actions = [
    [4, ['chat', () => gateway.fetch('/v1/chat/completions', { json: chat_body('chat', 'hello'), headers: auth('alice') })]],
    [
      3,
      [
        'stream',
        () =>
          gateway.fetch('/v1/chat/completions', {
            json: chat_body('chat', 'stream', { stream: true }),
            headers: auth('alice'),
          }),
      ],
    ],
    [2, ['abort', null]],
    [
      3,
      [
        'confidential',
        () =>
          gateway.fetch('/v1/chat/completions', {
            json: chat_body('chat', `${marker} payroll`),
            headers: { ...auth('alice'), 'X-Hearth-Data-Class': 'confidential' },
          }),
      ],
    ],
    [
      2,
      [
        'confidential-key',
        () => gateway.fetch('/v1/chat/completions', { json: chat_body('chat', `${marker} bob`), headers: auth('bob') }),
      ],
    ],
    [2, ['cloud', () => gateway.fetch('/v1/chat/completions', { json: chat_body('cloud-only', 'hi'), headers: auth('alice') })]],
    [2, ['node-a-tiny-b', () => node_a.fetch('/v1/chat/completions', { json: chat_body('tiny-b', 'evict me') })]],
    [1, ['node-b-direct', () => node_b.fetch('/v1/chat/completions', { json: chat_body('tiny', 'hello b') })]],
    [
      2,
      [
        'bad',
        () =>
          pick([
            [1, () => gateway.fetch('/v1/chat/completions', { method: 'POST', body: '{"model": ', headers: auth('alice') })],
            [1, () => gateway.fetch('/v1/chat/completions', { json: chat_body('chat', 'x', { max_tokens: -1 }), headers: auth('alice') })],
            [1, () => gateway.fetch('/v1/chat/completions', { json: chat_body('chat', 'x'), headers: { authorization: 'Bearer hk-nope' } })],
            [
              1,
              () =>
                gateway.post_raw('/v1/chat/completions', JSON.stringify(chat_body('chat', `${marker} dup`)), {
                  ...auth('alice'),
                  'X-Hearth-Data-Class': ['public', 'confidential'],
                }),
            ],
          ])(),
      ],
    ],
  ];

  const deadline = Date.now() + soak_ms;
  async function client() {
    while (Date.now() < deadline) {
      const [name, send] = pick(actions);
      try {
        if (name === 'abort') {
          const controller = new AbortController();
          const res = await gateway.fetch('/v1/chat/completions', {
            json: chat_body('chat', 'abort me', { stream: true, max_tokens: 64 }),
            headers: auth('alice'),
            signal: controller.signal,
          });
          const reader = res.body.getReader();
          await reader.read();
          controller.abort();
          count(name, res.status);
          continue;
        }
        const res = await send();
        count(name, res.status);
        if (res.status >= 500 && res.status !== 503 && res.text) {
          const bodies = (error_bodies[`${name} ${res.status}`] ??= []);
          const body = await res.text().catch((error) => `(body unreadable: ${error.message})`);
          if (bodies.length < 5) bodies.push(body.slice(0, 500));
        } else if (res.arrayBuffer) {
          await drain(res);
        }
      } catch (error) {
        count(name, `error ${error.name}`);
      }
    }
  }

  // Replaces model files under the running servers, in turn: in place (a writer that truncates
  // a mapped file) on node a, tiny-b then tiny, and by rename on node b.
  const replacements = [
    { dir: dir_a, file: 'tiny-b.gguf', in_place: true },
    { dir: dir_b, file: 'tiny.gguf', in_place: false },
    { dir: dir_a, file: 'tiny.gguf', in_place: true },
  ];
  let n_replaced = 0;
  async function replacer() {
    while (Date.now() + replace_every_ms < deadline) {
      await new Promise((resolve) => setTimeout(resolve, replace_every_ms));
      const { dir, file, in_place } = replacements[n_replaced % replacements.length];
      const source = path.join(source_dir, file);
      if (in_place) {
        await fs.promises.copyFile(source, path.join(dir, file));
      } else {
        const staged = path.join(dir, `.${file}.new`);
        await fs.promises.copyFile(source, staged);
        await fs.promises.rename(staged, path.join(dir, file));
      }
      n_replaced += 1;
    }
  }

  const samples = []; // {t_s, name, rss_kib, fds}
  function sample() {
    const t_s = Math.round((soak_ms - (deadline - Date.now())) / 1000);
    for (const [name, server] of Object.entries(servers)) {
      if (!server.running) continue;
      const status = fs.readFileSync(`/proc/${server.pid}/status`, 'utf8');
      const rss_kib = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
      const fds = fs.readdirSync(`/proc/${server.pid}/fd`).length;
      samples.push({ t_s, name, rss_kib, fds });
    }
  }
  const sampler = setInterval(sample, sample_every_ms);
  sample();

  await Promise.all([replacer(), ...Array.from({ length: n_clients }, client)]);
  clearInterval(sampler);
  sample();

  const failures = [];
  const summary = { seconds: soak_ms / 1000, clients: n_clients, files_replaced: n_replaced, requests: counts, processes: {} };
  for (const [name, server] of Object.entries(servers)) {
    if (!server.running) failures.push(`${name} is not running: ${JSON.stringify(await server.exited)}`);
    const mine = samples.filter((row) => row.name === name);
    const warm = mine.filter((row) => row.t_s * 1000 >= warmup_ms);
    const first = warm[0] ?? mine[0];
    const last = mine[mine.length - 1];
    const max = (key) => Math.max(...warm.map((row) => row[key]));
    summary.processes[name] = {
      rss_kib: { after_warmup: first.rss_kib, last: last.rss_kib, max: max('rss_kib') },
      fds: { after_warmup: first.fds, last: last.fds, max: max('fds') },
    };
    // Flat: the end within 64 MiB and 16 descriptors of the level after warm-up.
    if (last.rss_kib - first.rss_kib > 64 * 1024) failures.push(`${name}: RSS grew ${first.rss_kib} -> ${last.rss_kib} KiB`);
    if (last.fds - first.fds > 16) failures.push(`${name}: descriptors grew ${first.fds} -> ${last.fds}`);
  }
  const leaked = cloud.requests.filter((request) => JSON.stringify(request.body ?? '').includes(marker));
  summary.cloud_requests = cloud.requests.length;
  summary.confidential_reaching_cloud = leaked.length;
  if (leaked.length > 0) failures.push(`${leaked.length} confidential request(s) reached the cloud`);
  // The whole ledger of the run: tens of MiB of JSON, past execFileSync's default buffer.
  const audit_args = ['audit', 'egress', '--state-dir', state_dir, '--since', '1d', '--json'];
  const ledger = JSON.parse(execFileSync(hearth_bin, audit_args, { maxBuffer: 1 << 30, encoding: 'utf8' }));
  summary.ledger_rows = ledger.requests.length;
  const confidential_rows = ledger.requests.filter((row) => row.data_class === 'confidential');
  if (confidential_rows.length > 0) failures.push(`${confidential_rows.length} confidential ledger row(s)`);
  const server_errors = Object.entries(counts).filter(([key]) => / 5\d\d$/.test(key) && !/ 503$/.test(key));
  summary.server_errors = Object.fromEntries(server_errors);
  // 503 (busy, being written, retry) is an answer; any other 5xx is a defect.
  for (const [key, n] of server_errors) failures.push(`${n} answer(s) ${key}`);
  summary.server_error_bodies = error_bodies;
  // What the servers logged about them (a 500 names only its request id to the client).
  summary.server_error_log = Object.fromEntries(
    Object.entries(servers).map(([name, server]) => [name, server.stderr_lines.filter((line) => /error|500/i.test(line)).slice(0, 10)]),
  );
  summary.failures = failures;
  console.log(JSON.stringify(summary, null, 2));

  for (const server of Object.values(servers)) await server.stop();
  await cloud.close();
  fs.rmSync(work_dir, { recursive: true, force: true });
  process.exitCode = failures.length === 0 ? 0 : 1;
}

await main();
