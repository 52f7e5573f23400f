// Hostile and wrong requests: each must get the right HTTP status and an OpenAI-shaped error
// ({"error": {"message", "type", "param", "code"}}) naming the field at fault, and the server must
// keep serving. Raw fetch for bodies the SDK would never send; the SDK for its error classes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { HearthServer, only_model_id, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

const ctx_tokens = 64;
const max_body_bytes = 4096;

let server;
let model;

before(
  async () => {
    server = await HearthServer.start([
      '--model',
      test_model_path(),
      '--ctx',
      String(ctx_tokens),
      '--max-body-bytes',
      String(max_body_bytes),
      '--parallel',
      '2',
    ]);
    model = await only_model_id(server.openai());
  },
  { timeout: 30_000 },
);

after(() => server?.stop());

function chat_body(fields = {}) {
  return { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, ...fields };
}

function post_raw(route, body, headers = {}) {
  return server.fetch(route, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

// Checks an error response; `field`, when given, must be named by param or the message.
async function assert_openai_error(res, status, field) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text);
  assert_schema('ErrorResponse', body);
  assert.ok(body.error.message.length > 0);
  if (field !== undefined) {
    const named = (body.error.param ?? '').includes(field) || body.error.message.includes(field);
    assert.ok(named, `error does not name ${field}: ${text}`);
  }
  return body.error;
}

// Request fields with a wrong type or out of range, each a 400 naming the field.
const bad_chat_fields = [
  ['temperature', { temperature: 'hot' }],
  ['temperature', { temperature: -1 }],
  ['top_p', { top_p: 2 }],
  ['top_p', { top_p: 'all' }],
  ['max_tokens', { max_tokens: 0 }],
  ['max_tokens', { max_tokens: -3 }],
  ['max_tokens', { max_tokens: 'ten' }],
  ['max_tokens', { max_tokens: 2.5 }],
  ['messages', { messages: undefined }],
  ['messages', { messages: 'hi' }],
  ['messages', { messages: [] }],
  ['messages', { messages: [{ role: 'user' }] }],
  ['messages', { messages: [{ role: 'user', content: 42 }] }],
  ['messages', { messages: [{ role: 'wizard', content: 'hi' }] }],
  ['stream', { stream: 'yes' }],
  ['seed', { seed: 'lucky' }],
  ['stop', { stop: 5 }],
  ['top_k', { top_k: 'many' }],
  ['min_p', { min_p: 2 }],
  ['repeat_penalty', { repeat_penalty: 'strong' }],
  ['logprobs', { logprobs: 'yes' }],
  ['top_logprobs', { logprobs: true, top_logprobs: 21 }],
  ['n', { n: 2 }],
  ['response_format', { response_format: { type: 'yaml' } }],
  ['response_format.json_schema.schema', { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', pattern: 'a' } } } }],
  ['tool_choice', { tool_choice: 'required' }],
];

describe('request errors', { timeout: 30_000 }, () => {
  it('serves a valid request within the small context', async () => {
    const res = await server.fetch('/v1/chat/completions', { json: chat_body() });
    assert.equal(res.status, 200, await res.clone().text());
    assert_schema('CreateChatCompletionResponse', await res.json());
  });

  it('answers malformed JSON with 400 on both endpoints', async () => {
    for (const route of ['/v1/chat/completions', '/v1/completions']) {
      for (const body of [
        '{"model": "tiny", "messages": [',
        '{not json}',
        '',
        '[1, 2]',
        '"a string"',
        'null',
        '{"a":1}garbage',
      ]) {
        const error = await assert_openai_error(await post_raw(route, body), 400);
        assert.equal(typeof error.type, 'string');
      }
    }
  });

  for (const [field, fields] of bad_chat_fields) {
    it(`answers ${JSON.stringify(fields)} with 400 naming ${field}`, async () => {
      const res = await server.fetch('/v1/chat/completions', { json: chat_body(fields) });
      await assert_openai_error(res, 400, field);
    });
  }

  it('checks completions fields too', async () => {
    const base = { model, prompt: 'hi', max_tokens: 4 };
    for (const [field, fields] of [
      ['prompt', { prompt: undefined }],
      ['temperature', { temperature: 'hot' }],
      ['top_p', { top_p: 2 }],
      ['max_tokens', { max_tokens: 0 }],
      ['n', { n: 3 }],
    ]) {
      await assert_openai_error(await server.fetch('/v1/completions', { json: { ...base, ...fields } }), 400, field);
    }
  });

  it('answers an unknown model with 404', async () => {
    await assert_openai_error(
      await server.fetch('/v1/chat/completions', { json: chat_body({ model: 'no-such-model' }) }),
      404,
    );
    await assert_openai_error(
      await server.fetch('/v1/completions', { json: { model: 'no-such-model', prompt: 'hi' } }),
      404,
    );
  });

  it('refuses prompt + max_tokens beyond the context with context_length_exceeded', async () => {
    const too_many = await assert_openai_error(
      await server.fetch('/v1/chat/completions', { json: chat_body({ max_tokens: 1000 }) }),
      400,
    );
    assert.equal(too_many.code, 'context_length_exceeded');
    const long_prompt = 'the cat sat on the mat and looked at the sea '.repeat(20); // ~240 tokens
    const too_long = await assert_openai_error(
      await server.fetch('/v1/completions', { json: { model, prompt: long_prompt, max_tokens: 1 } }),
      400,
    );
    assert.equal(too_long.code, 'context_length_exceeded');
  });

  it('answers a body over --max-body-bytes with 413', async () => {
    const body = JSON.stringify(chat_body({ messages: [{ role: 'user', content: 'x'.repeat(2 * max_body_bytes) }] }));
    await assert_openai_error(await post_raw('/v1/chat/completions', body), 413);
  });

  it('refuses an unknown X-Hearth-Priority', async () => {
    for (const priority of ['urgent', 'high', 'batch, interactive']) {
      const res = await post_raw('/v1/chat/completions', JSON.stringify(chat_body()), {
        'X-Hearth-Priority': priority,
      });
      await assert_openai_error(res, 400);
    }
  });

  it('surfaces as the SDK error classes', async () => {
    const client = server.openai();
    await assert.rejects(client.chat.completions.create(chat_body({ temperature: 'hot' })), (error) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.status, 400);
      return true;
    });
    await assert.rejects(client.chat.completions.create(chat_body({ max_tokens: 1000 })), (error) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.code, 'context_length_exceeded');
      return true;
    });
  });

  it('keeps serving after all of the above', async () => {
    const res = await server.openai().chat.completions.create(chat_body({ temperature: 0 }));
    assert_schema('CreateChatCompletionResponse', res);
    assert.equal((await server.fetch('/health')).status, 200);
  });
});
