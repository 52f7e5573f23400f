// GET /metrics in Prometheus text format: after a few requests the counters and histograms moved,
// the model gauges show what is resident, and `promtool check metrics` (Debian's `prometheus`
// package, installed by scripts/setup) accepts the body, on a node and on a gateway in front of a
// mock cloud provider (routing decisions, egress rows, and the key /metrics needs there).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, run_hearth, test_models_dir } from './hearth_server.mjs';
import { start_mock_openai } from './mock_openai.mjs';

const content_type = 'text/plain; version=0.0.4; charset=utf-8';

// Fails (never skips) when promtool is missing: the test command must run it.
function promtool_check(body) {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 30_000 });
  if (result.error?.code === 'ENOENT') {
    assert.fail("promtool is not installed: install Debian's 'prometheus' package (scripts/setup does)");
  }
  assert.ifError(result.error);
  assert.equal(result.status, 0, `promtool check metrics failed:\n${result.stdout}${result.stderr}\nbody:\n${body}`);
}

// The value of the sample `name{labels}` (labels exactly as rendered), or undefined.
function sample(body, name, labels = '') {
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = body.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

// Resolves once every id has its access-log line (metrics are counted with it, after the response).
async function wait_logged(server, ids) {
  await server.wait_for_stderr((lines) => ids.every((id) => lines.some((line) => line.includes(`"id":"${id}"`))));
}

async function scrape(server, headers = {}) {
  const res = await server.fetch('/metrics', { headers });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), content_type);
  return res.text();
}

describe('GET /metrics on a node', { timeout: 60_000 }, () => {
  let server;

  before(
    async () => {
      server = await HearthServer.start(['--models-dir', test_models_dir(), '--parallel', '2', '--ctx', '512']);
    },
    { timeout: 30_000 },
  );
  after(() => server?.stop());

  it('counts requests, token latencies and model state, and passes promtool', async () => {
    const before_body = await scrape(server);
    promtool_check(before_body);
    assert.equal(sample(before_body, 'hearth_models_resident'), 0);

    const ids = [];
    const chat = { model: 'tiny', messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 8 };
    for (const stream of [false, true]) {
      const res = await server.fetch('/v1/chat/completions', { json: { ...chat, stream, temperature: 0 } });
      assert.equal(res.status, 200);
      await res.text();
      ids.push(res.headers.get('x-request-id'));
    }
    for (const route of ['/v1/models', '/v1/models/ghost', '/hearth/v1/costs', '/no/such/route']) {
      const res = await server.fetch(route);
      await res.arrayBuffer();
      ids.push(res.headers.get('x-request-id'));
    }
    await wait_logged(server, ids);

    const body = await scrape(server);
    promtool_check(body);
    const chat_labels = 'route="/v1/chat/completions",model="tiny"';
    assert.equal(sample(body, 'hearth_http_requests_total', `${chat_labels},status="200"`), 2, body);
    assert.equal(sample(body, 'hearth_http_requests_total', 'route="/v1/models",model="",status="200"'), 1);
    assert.equal(sample(body, 'hearth_http_requests_total', 'route="/v1/models/{id}",model="",status="404"'), 1);
    assert.equal(sample(body, 'hearth_http_requests_total', 'route="_unmatched",model="",status="404"'), 1);
    assert.ok(body.includes('hearth_http_requests_total{route="/hearth/v1/costs",'), body);
    assert.equal(body.includes('/no/such/route'), false, 'a made-up path makes no series');
    // Both chats had a first token and more than one token.
    assert.equal(sample(body, 'hearth_time_to_first_token_seconds_count', chat_labels), 2);
    assert.equal(sample(body, 'hearth_time_to_first_token_seconds_bucket', `${chat_labels},le="+Inf"`), 2);
    assert.equal(sample(body, 'hearth_time_per_output_token_seconds_count', chat_labels), 2);
    assert.ok(sample(body, 'hearth_time_to_first_token_seconds_sum', chat_labels) > 0);
    // The model is resident now, idle: its queue empty, its cache there.
    assert.equal(sample(body, 'hearth_models_resident'), 1);
    assert.ok(sample(body, 'hearth_resident_planned_bytes') > 0);
    assert.equal(sample(body, 'hearth_model_loads_total', 'model="tiny"'), 1);
    assert.equal(sample(body, 'hearth_model_loads_total', 'model="tiny-b"'), 0);
    assert.equal(sample(body, 'hearth_model_unloads_total', 'model="tiny"'), 0);
    assert.equal(sample(body, 'hearth_model_requests', 'model="tiny",state="running"'), 0);
    assert.equal(sample(body, 'hearth_model_requests', 'model="tiny",state="waiting"'), 0);
    assert.equal(sample(body, 'hearth_kv_blocks_used', 'model="tiny"'), 0);
    assert.ok(sample(body, 'hearth_kv_blocks_capacity', 'model="tiny"') > 0);
  });

  it('takes GET only', async () => {
    const res = await server.fetch('/metrics', { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
  });
});

describe('GET /metrics on a gateway that requires keys', { timeout: 60_000 }, () => {
  let work_dir;
  let cloud;
  let gateway;
  let secret;

  before(
    async () => {
      work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-metrics-'));
      const state_dir = path.join(work_dir, 'state');
      const out = run_hearth(['keys', 'create', '--state-dir', state_dir, '--name', 'ops', '--class', 'public']);
      secret = out.split('\n').find((line) => /^hk-[A-Za-z0-9]{40}$/.test(line));
      assert.ok(secret, out);
      cloud = await start_mock_openai();
      fs.mkdirSync(path.join(work_dir, 'none'));
      const config = path.join(work_dir, 'gateway.toml');
      fs.writeFileSync(
        config,
        `models_dir = "none"
require_keys = true

[[providers]]
name = "mock"
kind = "openai-compatible"
base_url = "${cloud.url}"
input_usd_per_mtok = "1.00"
output_usd_per_mtok = "2.00"

[[aliases]]
name = "cloud-only"
cloud = ["mock:gpt-mock"]

[policy]
public = ["local", "mock"]
`,
      );
      gateway = await HearthServer.start(['--config', config, '--state-dir', state_dir]);
    },
    { timeout: 60_000 },
  );
  after(async () => {
    await gateway?.stop();
    await cloud?.close();
    if (work_dir) fs.rmSync(work_dir, { recursive: true, force: true });
  });

  it('needs a key, and counts routing decisions and egress rows', async () => {
    const refused = await gateway.fetch('/metrics');
    assert.equal(refused.status, 401);
    await refused.arrayBuffer();

    const auth = { authorization: `Bearer ${secret}` };
    const ids = [refused.headers.get('x-request-id')];
    for (let request_idx = 0; request_idx < 2; ++request_idx) {
      const res = await gateway.fetch('/v1/chat/completions', {
        json: { model: 'cloud-only', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 },
        headers: auth,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-hearth-target'), 'mock');
      await res.text();
      ids.push(res.headers.get('x-request-id'));
    }
    await wait_logged(gateway, ids);

    const body = await scrape(gateway, auth);
    promtool_check(body);
    assert.equal(sample(body, 'hearth_gateway_routes_total', 'target="mock",data_class="public"'), 2, body);
    assert.equal(sample(body, 'hearth_egress_rows_total', 'provider="mock",data_class="public"'), 2);
    assert.equal(sample(body, 'hearth_http_requests_total', 'route="/metrics",model="",status="401"'), 1);
    assert.equal(
      sample(body, 'hearth_http_requests_total', 'route="/v1/chat/completions",model="mock/gpt-mock",status="200"'),
      2,
    );
    assert.equal(sample(body, 'hearth_models_resident'), 0);
  });
});
