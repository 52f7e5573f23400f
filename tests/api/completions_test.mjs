// POST /v1/completions (the legacy text endpoint) through the official openai SDK: shapes against
// CreateCompletionResponse, usage, streaming, stop and length, logprobs, seeds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HearthServer, only_model_id, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';
import { read_sse_data } from './sse.mjs';

const prompt = 'Once upon a time, in a small village by the sea,';

let server;
let client;
let model;

before(
  async () => {
    server = await HearthServer.start(['--model', test_model_path(), '--parallel', '4', '--ctx', '2048']);
    client = server.openai();
    model = await only_model_id(client);
  },
  { timeout: 30_000 },
);

after(() => server?.stop());

function complete(body, options) {
  return client.completions.create({ model, prompt, max_tokens: 16, temperature: 0, ...body }, options);
}

// A streamed completion chunk has the non-streamed response's shape (the published schema says
// so), except that OpenAI's own streams send finish_reason null until the choice ends, which the
// schema's non-nullable enum does not allow: only that one difference is let through.
function assert_completion_chunk(chunk) {
  const copy = structuredClone(chunk);
  for (const choice of copy.choices ?? []) {
    if (choice.finish_reason === null) choice.finish_reason = 'length';
  }
  assert_schema('CreateCompletionResponse', copy);
}

async function read_completion_stream(stream) {
  const chunks = [];
  for await (const chunk of stream) {
    assert_completion_chunk(chunk);
    chunks.push(chunk);
  }
  return chunks;
}

describe('completions', { timeout: 30_000 }, () => {
  it('answers in the shape of CreateCompletionResponse and stops at max_tokens', async () => {
    const res = await complete({ max_tokens: 16 });
    assert_schema('CreateCompletionResponse', res);
    assert.equal(res.object, 'text_completion');
    assert.equal(res.model, model);
    assert.equal(res.choices.length, 1);
    const [choice] = res.choices;
    assert.equal(choice.index, 0);
    assert.equal(typeof choice.text, 'string');
    assert.ok(choice.text.length > 0);
    assert.equal(choice.logprobs, null);
    assert.equal(choice.finish_reason, 'length');
    assert.equal(res.usage.completion_tokens, 16);
    assert.ok(res.usage.prompt_tokens >= 8, `prompt_tokens ${res.usage.prompt_tokens}`); // 12 words
    assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
  });

  it('streams chunks that add up to the non-streamed text, usage last when asked', async () => {
    const whole = await complete({ max_tokens: 20 });
    const chunks = await read_completion_stream(
      await complete({ max_tokens: 20, stream: true, stream_options: { include_usage: true } }),
    );
    assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1);
    for (const chunk of chunks) assert.equal(chunk.object, 'text_completion');
    const text = chunks.map((chunk) => chunk.choices[0]?.text ?? '').join('');
    assert.equal(text, whole.choices[0].text);
    assert.deepEqual(chunks.at(-1).choices, []);
    const { prompt_tokens, completion_tokens, total_tokens } = chunks.at(-1).usage;
    // cached_tokens may differ: the streamed request finds the first one's prompt in the cache.
    assert.deepEqual(
      { prompt_tokens, completion_tokens, total_tokens },
      {
        prompt_tokens: whole.usage.prompt_tokens,
        completion_tokens: whole.usage.completion_tokens,
        total_tokens: whole.usage.total_tokens,
      },
    );
    const finishes = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    assert.equal(finishes.length, 1);
    assert.equal(finishes[0].choices[0].finish_reason, 'length');
  });

  it('ends the raw stream with data: [DONE]', async () => {
    const res = await server.fetch('/v1/completions', {
      json: { model, prompt, max_tokens: 6, temperature: 0, stream: true },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const data = await read_sse_data(res);
    assert.equal(data.indexOf('[DONE]'), data.length - 1);
    assert.ok(data.length >= 2);
    for (const event of data.slice(0, -1)) assert_completion_chunk(JSON.parse(event));
  });

  it('ends at a stop string, leaving it out', async () => {
    const full = (await complete({ max_tokens: 64 })).choices[0].text;
    const match = /[\p{L}\p{N}]{2,3}/u.exec(full.slice(1)); // as in chat_test.mjs
    assert.ok(match, `nothing to stop at in ${JSON.stringify(full)}`);
    const res = await complete({ max_tokens: 64, stop: match[0] });
    assert_schema('CreateCompletionResponse', res);
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.equal(res.choices[0].text, full.slice(0, full.indexOf(match[0])));
  });

  it('returns logprobs for each token, the greedy token the most likely', async () => {
    const res = await complete({ max_tokens: 8, logprobs: 2 });
    assert_schema('CreateCompletionResponse', res);
    const { tokens, token_logprobs, top_logprobs } = res.choices[0].logprobs;
    assert.equal(tokens.length, res.usage.completion_tokens);
    assert.equal(token_logprobs.length, tokens.length);
    assert.equal(top_logprobs.length, tokens.length);
    for (let token_idx = 0; token_idx < tokens.length; token_idx++) {
      const alternatives = Object.values(top_logprobs[token_idx]);
      // Two alternatives, or one when both decode to the same text (object keys merge).
      assert.ok(alternatives.length >= 1 && alternatives.length <= 2, JSON.stringify(top_logprobs[token_idx]));
      assert.ok(token_logprobs[token_idx] <= 0);
      assert.ok(Math.abs(token_logprobs[token_idx] - Math.max(...alternatives)) < 1e-4);
    }
  });

  it('reproduces a seeded sample', async () => {
    const sampled = (seed) => complete({ temperature: 0.8, seed, max_tokens: 32 }).then((res) => res.choices[0].text);
    assert.equal(await sampled(42), await sampled(42));
    const texts = await Promise.all([1, 2, 3, 4].map(sampled));
    assert.ok(new Set(texts).size > 1, JSON.stringify(texts));
  });

  it('continues the prompt, unlike chat which wraps it in the template', async () => {
    const completion = await complete({ max_tokens: 1 });
    const chat = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: prompt }],
      max_tokens: 1,
      temperature: 0,
    });
    assert.ok(
      chat.usage.prompt_tokens > completion.usage.prompt_tokens,
      `${chat.usage.prompt_tokens} vs ${completion.usage.prompt_tokens}`,
    );
  });
});
