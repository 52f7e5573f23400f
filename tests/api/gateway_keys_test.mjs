// API keys, data-class floors, rate limits, monthly cloud budgets and the egress ledger, from
// outside: keys made with `hearth keys create`, a gateway `hearth serve --config` in front of a
// mock cloud provider, and `hearth audit egress` reading what left.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { HearthServer, run_hearth } from './hearth_server.mjs';
import { start_mock_openai } from './mock_openai.mjs';
import { assert_schema } from './openai_schema.mjs';

let work_dir;
let state_dir;
let cloud;
let gateway;
const secrets = {};

function create_key(name, data_class, extra = []) {
  const out = run_hearth(['keys', 'create', '--state-dir', state_dir, '--name', name, '--class', data_class, ...extra]);
  const secret = out.split('\n').find((line) => /^hk-[A-Za-z0-9]{40}$/.test(line));
  assert.ok(secret, out);
  return secret;
}

async function chat(secret, headers = {}, extra = {}) {
  const auth = secret === undefined ? {} : { authorization: `Bearer ${secret}` };
  return gateway.fetch('/v1/chat/completions', {
    json: { model: 'cloud-only', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4, ...extra },
    headers: { ...auth, ...headers },
  });
}

function audit() {
  return JSON.parse(run_hearth(['audit', 'egress', '--state-dir', state_dir, '--since', '1h', '--json']));
}

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-keys-'));
    state_dir = path.join(work_dir, 'state');
    secrets.alice = create_key('alice', 'public', ['--rpm', '4']);
    secrets.bob = create_key('bob', 'confidential');
    secrets.carol = create_key('carol', 'public', ['--monthly-cloud-budget', '0.000010']);
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
  fs.rmSync(work_dir, { recursive: true, force: true });
});

describe('keys, limits and the egress ledger', { timeout: 60_000 }, () => {
  it('refuses requests without a valid key, except /health', async () => {
    assert.equal((await gateway.fetch('/health')).status, 200);
    for (const secret of [undefined, 'hk-' + 'x'.repeat(40), 'not-a-key']) {
      const res = await chat(secret);
      assert.equal(res.status, 401);
      const body = await res.json();
      assert_schema('ErrorResponse', body);
      assert.equal(body.error.code, 'invalid_api_key');
    }
    assert.equal((await gateway.fetch('/v1/models')).status, 401);
    const sdk = new OpenAI({ baseURL: `${gateway.base_url}/v1`, apiKey: 'hk-wrong', maxRetries: 0 });
    await assert.rejects(sdk.models.list(), OpenAI.AuthenticationError);
    assert.equal(cloud.requests.length, 0);
  });

  it('sends a public key to the cloud and records it in the egress ledger, hash not body', async () => {
    const res = await chat(secrets.alice);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-hearth-target'), 'mock');
    assert_schema('CreateChatCompletionResponse', await res.json());
    const sdk = new OpenAI({ baseURL: `${gateway.base_url}/v1`, apiKey: secrets.alice, maxRetries: 0 });
    const stream = await sdk.chat.completions.create({
      model: 'cloud-only',
      messages: [{ role: 'user', content: 'stream it' }],
      stream: true,
    });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'from the cloud');
    const ledger = audit();
    assert.equal(ledger.requests.length, 2);
    for (const row of ledger.requests) {
      assert.equal(row.key, 'alice');
      assert.equal(row.data_class, 'public');
      assert.equal(row.provider, 'mock');
      assert.equal(row.model, 'gpt-mock');
      assert.equal(row.status, 'ok');
      assert.equal(row.prompt_tokens, 11); // the mock's usage, streamed too (the gateway asks for it)
      assert.equal(row.completion_tokens, 3);
      assert.equal(row.cost_udollars, 17); // 11 x $1 + 3 x $2 per million tokens
      assert.match(row.body_sha256, /^[0-9a-f]{64}$/);
      assert.ok(!JSON.stringify(row).includes('hello'), 'the ledger holds no body');
    }
  });

  it('keeps a confidential key inside, and lets no request lower its class', async () => {
    const before_count = cloud.requests.length;
    const bob = await chat(secrets.bob);
    assert.equal(bob.status, 503);
    assert.match((await bob.json()).error.message, /confidential data never leaves/);
    const lowered = await chat(secrets.bob, { 'X-Hearth-Data-Class': 'public' });
    assert.equal(lowered.status, 400);
    assert.equal((await lowered.json()).error.code, 'invalid_data_class');
    const raised = await chat(secrets.alice, { 'X-Hearth-Data-Class': 'confidential' });
    assert.equal(raised.status, 503);
    assert.equal(cloud.requests.length, before_count, 'nothing confidential reached the cloud');
  });

  it('refuses a repeated data-class header instead of letting the first copy decide', async () => {
    const before_count = cloud.requests.length;
    const before_rows = audit().requests.length;
    const body = JSON.stringify({ model: 'cloud-only', messages: [{ role: 'user', content: 'hello' }] });
    const res = await gateway.post_raw('/v1/chat/completions', body, {
      authorization: `Bearer ${secrets.carol}`,
      'X-Hearth-Data-Class': ['public', 'confidential'],
    });
    assert.equal(res.status, 400);
    assert_schema('ErrorResponse', res.json);
    assert.equal(res.json.error.code, 'duplicate_header');
    assert.equal(cloud.requests.length, before_count, 'nothing reached the cloud');
    assert.equal(audit().requests.length, before_rows, 'nothing was ledgered');
  });

  it('checks a request as a node would before it leaves for the cloud', async () => {
    const before_count = cloud.requests.length;
    const before_rows = audit().requests.length;
    for (const [extra, param] of [
      [{ max_tokens: -5 }, 'max_tokens'],
      [{ temperature: '1e999' }, 'temperature'],
      [{ frobnicate: true }, 'frobnicate'],
    ]) {
      const res = await chat(secrets.carol, {}, extra);
      assert.equal(res.status, 400, JSON.stringify(extra));
      const body = await res.json();
      assert_schema('ErrorResponse', body);
      assert.match(`${body.error.param} ${body.error.message}`, new RegExp(param));
    }
    const overflow = await gateway.fetch('/v1/chat/completions', {
      method: 'POST',
      body: '{"model":"cloud-only","messages":[{"role":"user","content":"hi"}],"max_tokens":1e400}',
      headers: { authorization: `Bearer ${secrets.carol}`, 'content-type': 'application/json' },
    });
    assert.equal(overflow.status, 400);
    assert.equal((await overflow.json()).error.param, 'max_tokens');
    assert.equal(cloud.requests.length, before_count, 'nothing reached the cloud');
    assert.equal(audit().requests.length, before_rows, 'nothing was ledgered');
  });

  it('shows its providers and their circuits in /hearth/v1/status', async () => {
    const res = await gateway.fetch('/hearth/v1/status', { headers: { authorization: `Bearer ${secrets.carol}` } });
    assert.equal(res.status, 200);
    const status = await res.json();
    assert.deepEqual(status.gateway.nodes, []);
    assert.equal(status.gateway.providers.length, 1);
    const mock = status.gateway.providers[0];
    assert.equal(mock.name, 'mock');
    assert.equal(mock.kind, 'openai-compatible');
    assert.deepEqual(mock.circuit, { failures: 0, open: false, open_for_ms: 0 });
  });

  it('limits requests per minute per key with 429 and Retry-After', async () => {
    // alice has used 3 of her 4 requests this minute (2 answered, 1 refused as confidential).
    assert.equal((await chat(secrets.alice)).status, 200);
    const limited = await chat(secrets.alice);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    const body = await limited.json();
    assert_schema('ErrorResponse', body);
    assert.equal(body.error.code, 'rate_limit_exceeded');
    assert.equal((await chat(secrets.carol)).status, 200, 'other keys are not limited by it');
  });

  it('keeps a key off the cloud once its monthly budget is spent', async () => {
    // carol's budget is 10 micro-dollars; her first request cost 17.
    const res = await chat(secrets.carol);
    assert.equal(res.status, 503);
    assert.match((await res.json()).error.message, /monthly cloud budget is spent/);
    const carol_rows = audit().requests.filter((row) => row.key === 'carol');
    assert.equal(carol_rows.length, 1);
  });
});

describe('revoking keys on a running gateway', { timeout: 60_000 }, () => {
  it('refuses every request once no key is left, rather than opening up', async () => {
    for (const name of ['alice', 'bob', 'carol']) run_hearth(['keys', 'revoke', '--state-dir', state_dir, name]);
    const before_count = cloud.requests.length;
    // (A revoked key stops working within the key cache's one-second refresh; a request
    // without a key is refused at once, whatever the cache holds.)
    const res = await chat(undefined);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'invalid_api_key');
    assert.equal((await gateway.fetch('/v1/models')).status, 401);
    assert.equal(cloud.requests.length, before_count, 'nothing reached the cloud');
  });
});
