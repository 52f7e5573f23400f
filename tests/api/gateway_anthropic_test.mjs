// An Anthropic provider behind the gateway, for OpenAI clients: requests become Messages API
// requests (system prompt, max_tokens, x-api-key, anthropic-version), answers and streams come
// back as OpenAI's, errors in OpenAI's shape, and the egress ledger counts Anthropic's tokens.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { HearthServer, run_hearth } from './hearth_server.mjs';
import { start_mock_anthropic } from './mock_anthropic.mjs';
import { assert_schema } from './openai_schema.mjs';

let work_dir;
let anthropic;
let gateway;
let client;

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-anthropic-'));
    fs.mkdirSync(path.join(work_dir, 'none'));
    anthropic = await start_mock_anthropic();
    const config = path.join(work_dir, 'gateway.toml');
    fs.writeFileSync(
      config,
      `models_dir = "none"

[[providers]]
name = "anthropic"
kind = "anthropic"
base_url = "${anthropic.url}"
api_key_env = "HEARTH_TEST_ANTHROPIC_KEY"
input_usd_per_mtok = "3.00"
output_usd_per_mtok = "15.00"

[[aliases]]
name = "claude"
cloud = ["anthropic:claude-mock"]

[[aliases]]
name = "refused"
cloud = ["anthropic:refuse"]

[policy]
default_class = "public"
public = ["local", "anthropic"]
`,
    );
    process.env.HEARTH_TEST_ANTHROPIC_KEY = 'sk-ant-mock';
    gateway = await HearthServer.start(['--config', config, '--state-dir', path.join(work_dir, 'state')]);
    client = gateway.openai();
  },
  { timeout: 30_000 },
);

after(async () => {
  await gateway?.stop();
  await anthropic?.close();
  fs.rmSync(work_dir, { recursive: true, force: true });
});

describe('anthropic provider', { timeout: 30_000 }, () => {
  it('translates a chat request and its answer', async () => {
    const answer = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      max_tokens: 64,
      temperature: 1.5,
      stop: 'END',
    });
    assert_schema('CreateChatCompletionResponse', answer);
    assert.equal(answer.choices[0].message.content, 'from anthropic');
    assert.equal(answer.choices[0].finish_reason, 'stop');
    assert.deepEqual(
      [answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens],
      [21, 4, 25],
    );
    const sent = anthropic.requests.at(-1);
    assert.equal(sent.path, '/v1/messages');
    assert.equal(sent.headers['x-api-key'], 'sk-ant-mock');
    assert.equal(sent.headers['anthropic-version'], '2023-06-01');
    assert.equal(sent.headers.authorization, undefined);
    assert.deepEqual(sent.body, {
      model: 'claude-mock',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello' }],
      max_tokens: 64,
      temperature: 1,
      stop_sequences: ['END'],
    });
  });

  it('translates a stream into OpenAI chunks', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish_reason = null;
    let usage = null;
    for await (const part of stream) {
      assert_schema('CreateChatCompletionStreamResponse', part);
      text += part.choices[0]?.delta?.content ?? '';
      finish_reason = part.choices[0]?.finish_reason ?? finish_reason;
      if (part.usage) usage = part.usage;
    }
    assert.equal(text, 'from anthropic');
    assert.equal(finish_reason, 'length'); // the mock stops at max_tokens
    assert.deepEqual([usage.prompt_tokens, usage.completion_tokens], [21, 4]);
    assert.equal(anthropic.requests.at(-1).body.max_tokens, 4096); // required by Anthropic: hearth's default
  });

  it("returns Anthropic's refusals in OpenAI's error shape", async () => {
    const res = await gateway.fetch('/v1/chat/completions', {
      json: { model: 'refused', messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert_schema('ErrorResponse', body);
    assert.match(body.error.message, /too large for this model/);
    // What Anthropic cannot take is refused before anything is sent.
    const before_count = anthropic.requests.length;
    await assert.rejects(
      client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], n: 2 }),
      OpenAI.BadRequestError,
    );
    assert.equal(anthropic.requests.length, before_count);
  });

  it("records Anthropic's token counts and cost in the egress ledger", () => {
    const ledger = JSON.parse(
      run_hearth(['audit', 'egress', '--state-dir', path.join(work_dir, 'state'), '--since', '1h', '--json']),
    );
    const ok_rows = ledger.requests.filter((row) => row.status === 'ok');
    assert.ok(ok_rows.length >= 2);
    for (const row of ok_rows) {
      assert.equal(row.provider, 'anthropic');
      assert.equal(row.prompt_tokens, 21);
      assert.equal(row.completion_tokens, 4);
      assert.equal(row.cost_udollars, 123); // 21 x $3 + 4 x $15 per million tokens
    }
  });
});
