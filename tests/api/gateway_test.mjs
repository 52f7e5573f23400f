// The gateway from outside, with real processes on loopback: a gateway `hearth serve --config`,
// two nodes (`hearth serve`) and a mock cloud provider. Routing by capability and alias,
// streaming through two hops, the data-class policy that fails closed (no confidential request
// ever reaches the cloud mock), failover when a node is killed and recovery when it returns,
// and a stream that breaks upstream.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, test_models_dir, wait_until } from './hearth_server.mjs';
import { start_mock_openai } from './mock_openai.mjs';
import { assert_schema } from './openai_schema.mjs';
import { read_sse_data } from './sse.mjs';

let work_dir;
let cloud;
let node_a;
let node_b;
let node_a_port;
let gateway;
let client;
let config_path;
let config_text;

async function free_port() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function models_dir(name, files) {
  const dir = path.join(work_dir, name);
  fs.mkdirSync(dir);
  for (const file of files) fs.symlinkSync(path.join(test_models_dir(), `${file}.gguf`), path.join(dir, `${file}.gguf`));
  return dir;
}

function start_node_a() {
  return HearthServer.start(['--models-dir', path.join(work_dir, 'a'), '--port', String(node_a_port), '--ctx', '512']);
}


async function chat(model, headers = {}, extra = {}) {
  return gateway.fetch('/v1/chat/completions', {
    json: { model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 4, temperature: 0, ...extra },
    headers,
  });
}

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-gateway-'));
    models_dir('a', ['tiny']);
    models_dir('b', ['tiny-b']);
    fs.mkdirSync(path.join(work_dir, 'none'));
    cloud = await start_mock_openai();
    node_a_port = await free_port();
    node_a = await start_node_a();
    node_b = await HearthServer.start(['--models-dir', path.join(work_dir, 'b'), '--ctx', '512']);
    const config = path.join(work_dir, 'gateway.toml');
    config_path = config;
    config_text = `models_dir = "none"

[gateway]
poll_interval = "100ms"
down_after = 2

[[nodes]]
name = "a"
url = "${node_a.base_url}"

[[nodes]]
name = "b"
url = "${node_b.base_url}"

[[providers]]
name = "mock"
kind = "openai-compatible"
base_url = "${cloud.url}"
api_key_env = "HEARTH_TEST_MOCK_KEY"
input_usd_per_mtok = "1.00"
output_usd_per_mtok = "2.00"

[[aliases]]
name = "chat"
local = "tiny"
cloud = ["mock:gpt-mock"]

[[aliases]]
name = "cloud-only"
cloud = ["mock:gpt-mock"]

[[aliases]]
name = "breaking"
cloud = ["mock:break"]

[policy]
default_class = "public"
public = ["local", "mock"]
internal = ["local"]
confidential = ["local"]
`;
    fs.writeFileSync(config, config_text);
    process.env.HEARTH_TEST_MOCK_KEY = 'sk-mock-secret';
    gateway = await HearthServer.start(['--config', config]);
    client = gateway.openai();
    // Both nodes polled up.
    assert.ok(
      await wait_until(async () => {
        const ids = (await (await gateway.fetch('/v1/models')).json()).data.map((m) => m.id);
        return ids.includes('tiny') && ids.includes('tiny-b');
      }),
      'the gateway never saw both nodes',
    );
  },
  { timeout: 90_000 },
);

after(async () => {
  await gateway?.stop();
  await node_a?.stop();
  await node_b?.stop();
  await cloud?.close();
  fs.rmSync(work_dir, { recursive: true, force: true });
});

describe('gateway', { timeout: 120_000 }, () => {
  it('routes each model to the node that has it, and aliases to their local model', async () => {
    for (const [model, target] of [
      ['tiny', 'node:a'],
      ['tiny-b', 'node:b'],
      ['chat', 'node:a'],
    ]) {
      const res = await chat(model);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('x-hearth-target'), target);
      const body = await res.json();
      assert_schema('CreateChatCompletionResponse', body);
    }
    const listed = await client.models.list();
    const ids = listed.data.map((model) => model.id);
    for (const id of ['chat', 'cloud-only', 'breaking', 'tiny', 'tiny-b']) assert.ok(ids.includes(id), id);
    assert.equal(cloud.requests.length, 0, 'nothing went to the cloud while the nodes could serve');
  });

  it('streams through two hops with the official SDK', async () => {
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'Tell me a story.' }],
      max_tokens: 16,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let n_chunks = 0;
    let usage = null;
    for await (const part of stream) {
      assert_schema('CreateChatCompletionStreamResponse', part);
      n_chunks++;
      if (part.usage) usage = part.usage;
    }
    assert.ok(n_chunks >= 3);
    assert.equal(usage.completion_tokens, 16);
    // The same request straight to the node gives the same text: the gateway only forwards bytes.
    const direct = await node_a.openai().chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 4,
      temperature: 0,
    });
    const via = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 4,
      temperature: 0,
    });
    assert.equal(via.choices[0].message.content, direct.choices[0].message.content);
  });

  it('sends public requests for a cloud-only alias to the cloud, with the key from the environment', async () => {
    const before_count = cloud.requests.length;
    const res = await chat('cloud-only');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-hearth-target'), 'mock');
    assert_schema('CreateChatCompletionResponse', await res.json());
    assert.equal(cloud.requests.length, before_count + 1);
    const sent = cloud.requests.at(-1);
    assert.equal(sent.body.model, 'gpt-mock');
    assert.equal(sent.headers.authorization, 'Bearer sk-mock-secret');
    assert.equal(sent.headers['x-hearth-data-class'], undefined, "hearth's headers stay inside");
    // Later requests reuse the kept-alive connection.
    for (let request = 0; request < 3; request++) assert.equal((await chat('cloud-only')).status, 200);
    const ports = new Set(cloud.requests.slice(before_count).map((entry) => entry.client_port));
    assert.equal(ports.size, 1);
  });

  it('fails closed: internal and confidential requests never reach the cloud', async () => {
    const before_count = cloud.requests.length;
    for (const data_class of ['internal', 'confidential']) {
      const res = await chat('cloud-only', { 'X-Hearth-Data-Class': data_class });
      assert.equal(res.status, 503);
      const body = await res.json();
      assert_schema('ErrorResponse', body);
      assert.equal(body.error.code, 'no_allowed_target');
      assert.match(body.error.message, /Kept inside the shop/);
      if (data_class === 'confidential') assert.match(body.error.message, /confidential data never leaves/);
      else assert.match(body.error.message, /policy at .*gateway\.toml:\d+ does not allow internal data to go to mock/);
    }
    const bad = await chat('cloud-only', { 'X-Hearth-Data-Class': 'secret' });
    assert.equal(bad.status, 400);
    assert.equal(cloud.requests.length, before_count);
  });

  it('fails over when a node dies, keeps confidential local, and routes back when it returns', async () => {
    const before_count = cloud.requests.length;
    await node_a.stop();
    // Right after the kill (before the poller notices, or after), public "chat" is still answered: by the cloud.
    const public_res = await chat('chat');
    assert.equal(public_res.status, 200);
    assert.equal(public_res.headers.get('x-hearth-target'), 'mock');
    assert.equal(cloud.requests.length, before_count + 1);
    // Confidential "chat" has nowhere allowed to go: 503 naming the down node, and nothing sent out.
    assert.ok(await wait_until(async () => (await chat('tiny')).status === 503));
    const confidential = await chat('chat', { 'X-Hearth-Data-Class': 'confidential' });
    assert.equal(confidential.status, 503);
    const body = await confidential.json();
    assert.match(body.error.message, /node a is down/);
    assert.equal(cloud.requests.length, before_count + 1);
    // Node a comes back on the same address: the gateway routes to it again.
    node_a = await start_node_a();
    assert.ok(await wait_until(async () => (await chat('tiny')).status === 200));
    const back = await chat('chat', { 'X-Hearth-Data-Class': 'confidential' });
    assert.equal(back.status, 200);
    assert.equal(back.headers.get('x-hearth-target'), 'node:a');
  });

  it('ends a stream with an error event when the upstream breaks mid-answer', async () => {
    const res = await gateway.fetch('/v1/chat/completions', {
      json: { model: 'breaking', messages: [{ role: 'user', content: 'hi' }], stream: true },
    });
    assert.equal(res.status, 200);
    const events = await read_sse_data(res);
    const last = events.at(-1);
    assert.notEqual(last, '[DONE]');
    const error = JSON.parse(last);
    assert.equal(error.error.code, 'upstream_failed');
  });

  it('reloads its config on SIGHUP without dropping a stream, and keeps it when the new one is bad', async () => {
    const streaming = gateway.fetch('/v1/chat/completions', {
      json: { model: 'chat', messages: [{ role: 'user', content: 'a long story' }], max_tokens: 300, stream: true },
    });
    const res = await streaming;
    assert.equal(res.status, 200);
    const body_text = res.text(); // still arriving
    fs.writeFileSync(config_path, config_text + '\n[[aliases]]\nname = "chat2"\nlocal = "tiny-b"\n');
    gateway.signal('SIGHUP');
    assert.ok(await wait_until(async () => (await chat('chat2')).status === 200), 'the new alias never answered');
    const events = (await body_text).split('\n\n').filter((event) => event.startsWith('data: '));
    assert.equal(events.at(-1), 'data: [DONE]', 'the stream in flight finished');
    assert.ok(gateway.stderr_lines.some((line) => /SIGHUP: reloaded the gateway config/.test(line)));

    fs.writeFileSync(config_path, config_text + '\n[policy.extra]\n');
    gateway.signal('SIGHUP');
    assert.ok(await wait_until(async () => gateway.stderr_lines.some((line) => /was not reloaded/.test(line))));
    assert.equal((await chat('chat2')).status, 200, 'the last good config stays');
    assert.ok(gateway.running);
  });

  it('answers 404 for a model no node and no alias knows', async () => {
    const res = await chat('no-such-model');
    assert.equal(res.status, 404);
    assert_schema('ErrorResponse', await res.json());
  });
});
