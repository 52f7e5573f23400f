// Anthropic's Messages API (POST /v1/messages) from the official @anthropic-ai/sdk: a hearth node
// answers it with its own engine, whole and streamed, with errors in Anthropic's shape; a gateway
// passes it through to the node that has the model and to an Anthropic provider.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { HearthServer, only_model_id, test_model_path } from './hearth_server.mjs';
import { start_mock_anthropic } from './mock_anthropic.mjs';

let work_dir;
let node;
let gateway;
let cloud;
let model_id;

function anthropic_client(server, apiKey = 'unused') {
  return new Anthropic({ baseURL: server.base_url, apiKey, maxRetries: 0, timeout: 30_000 });
}

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-messages-'));
    fs.mkdirSync(path.join(work_dir, 'none'));
    node = await HearthServer.start(['--model', test_model_path(), '--ctx', '512']);
    model_id = await only_model_id(node.openai());
    cloud = await start_mock_anthropic();
    const config = path.join(work_dir, 'gateway.toml');
    fs.writeFileSync(
      config,
      `models_dir = "none"
[gateway]
poll_interval = "100ms"
[[nodes]]
name = "n"
url = "${node.base_url}"
[[providers]]
name = "anthropic"
kind = "anthropic"
base_url = "${cloud.url}"
[[aliases]]
name = "claude"
cloud = ["anthropic:claude-mock"]
[policy]
default_class = "public"
public = ["local", "anthropic"]
`,
    );
    gateway = await HearthServer.start(['--config', config]);
    // The gateway lists the node's model once its poller has seen the node (an observable state;
    // the deadline is a guard against a hang, never what passes).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ids = (await (await gateway.fetch('/v1/models')).json()).data.map((m) => m.id);
      if (ids.includes(model_id)) break;
      assert.ok(Date.now() < deadline, `the gateway never listed ${model_id}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  },
  { timeout: 90_000 },
);

after(async () => {
  await gateway?.stop();
  await node?.stop();
  await cloud?.close();
  fs.rmSync(work_dir, { recursive: true, force: true });
});

const request = () => ({
  model: model_id,
  max_tokens: 12,
  temperature: 0,
  system: 'You are terse.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello there' }] }],
});

describe('anthropic messages api', { timeout: 60_000 }, () => {
  it('answers a message with the local engine, whole and streamed alike', async () => {
    const client = anthropic_client(node);
    const message = await client.messages.create(request());
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.model, model_id);
    assert.match(message.id, /^msg_/);
    assert.equal(message.content.length, 1);
    assert.equal(message.content[0].type, 'text');
    assert.ok(['end_turn', 'max_tokens', 'stop_sequence'].includes(message.stop_reason));
    assert.ok(message.usage.input_tokens > 0);
    assert.ok(message.usage.output_tokens >= 1 && message.usage.output_tokens <= 12);

    const stream = await client.messages.create({ ...request(), stream: true });
    const types = [];
    let text = '';
    let output_tokens = null;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta') text += event.delta.text;
      if (event.type === 'message_delta') output_tokens = event.usage.output_tokens;
    }
    assert.deepEqual(types.slice(0, 2), ['message_start', 'content_block_start']);
    assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    assert.equal(text, message.content[0].text, 'greedy: the stream says what the whole answer said');
    assert.equal(output_tokens, message.usage.output_tokens);
  });

  it("refuses bad requests in Anthropic's error shape", async () => {
    const client = anthropic_client(node);
    const { max_tokens, ...without_max_tokens } = request();
    assert.ok(max_tokens);
    await assert.rejects(client.messages.create(without_max_tokens), (error) => {
      assert.ok(error instanceof Anthropic.BadRequestError);
      assert.equal(error.error.type, 'error');
      assert.equal(error.error.error.type, 'invalid_request_error');
      assert.match(error.error.error.message, /max_tokens/);
      return true;
    });
    await assert.rejects(client.messages.create({ ...request(), model: 'no-such-model' }), Anthropic.NotFoundError);
    await assert.rejects(
      client.messages.create({ ...request(), tools: [{ type: 'web_search_20250305', name: 'web_search' }] }),
      Anthropic.BadRequestError,
    );
  });

  it('passes messages through a gateway to the node that has the model', async () => {
    const direct = await anthropic_client(node).messages.create(request());
    const via = await anthropic_client(gateway).messages.create(request());
    assert.equal(via.content[0].text, direct.content[0].text);
    const res = await gateway.fetch('/v1/messages', { json: request() });
    assert.equal(res.headers.get('x-hearth-target'), 'node:n');
  });

  it('passes messages through a gateway to an Anthropic provider as they are', async () => {
    const message = await anthropic_client(gateway).messages.create({ ...request(), model: 'claude' });
    assert.equal(message.content[0].text, 'from anthropic');
    const sent = cloud.requests.at(-1);
    assert.equal(sent.path, '/v1/messages');
    assert.equal(sent.body.model, 'claude-mock');
    assert.equal(sent.body.system, 'You are terse.');
    assert.deepEqual(sent.body.messages, request().messages);
    const stream = await anthropic_client(gateway).messages.create({ ...request(), model: 'claude', stream: true });
    let text = '';
    for await (const event of stream) if (event.type === 'content_block_delta') text += event.delta.text;
    assert.equal(text, 'from anthropic');
    assert.equal(cloud.requests.at(-1).body.stream_options, undefined, 'nothing OpenAI-only is added');
  });
});
