// POST /v1/chat/completions through the official openai SDK, as a client would use it: response
// shapes against OpenAI's schemas, usage arithmetic, streaming on the wire, stop and length,
// logprobs, seeded sampling and hearth's sampling extensions (top_k, min_p, repeat_penalty).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HearthServer, only_model_id, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';
import { read_sse_data } from './sse.mjs';

const hello = [{ role: 'user', content: 'Hello there, who are you?' }];

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

function chat(body, options) {
  return client.chat.completions.create({ model, messages: hello, max_tokens: 16, temperature: 0, ...body }, options);
}

// Reads a chat stream from the SDK, checking each chunk against the schema.
async function read_chat_stream(stream) {
  const chunks = [];
  for await (const chunk of stream) {
    assert_schema('CreateChatCompletionStreamResponse', chunk);
    chunks.push(chunk);
  }
  return chunks;
}

function stream_text(chunks) {
  return chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
}

function assert_usage_adds_up(usage) {
  assert.ok(Number.isInteger(usage.prompt_tokens) && usage.prompt_tokens > 0, JSON.stringify(usage));
  assert.ok(Number.isInteger(usage.completion_tokens) && usage.completion_tokens >= 0, JSON.stringify(usage));
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
}

describe('chat completions', { timeout: 30_000 }, () => {
  it('answers in the shape of CreateChatCompletionResponse and stops at max_tokens', async () => {
    const before_s = Math.floor(Date.now() / 1000);
    const res = await chat({ max_tokens: 16 });
    assert_schema('CreateChatCompletionResponse', res);
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.model, model);
    assert.ok(typeof res.id === 'string' && res.id.length > 0);
    assert.ok(res.created >= before_s - 5 && res.created <= Date.now() / 1000 + 5, `created ${res.created}`);
    assert.equal(res.choices.length, 1);
    const [choice] = res.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.message.role, 'assistant');
    assert.equal(typeof choice.message.content, 'string');
    assert.ok(choice.message.content.length > 0);
    assert.equal(choice.logprobs, null); // not asked for
    assert.equal(choice.finish_reason, 'length');
    assert.equal(res.usage.completion_tokens, 16);
    assert_usage_adds_up(res.usage);
  });

  it('gives every completion its own id and repeats greedy output exactly', async () => {
    const [a, b] = await Promise.all([chat({ max_tokens: 24 }), chat({ max_tokens: 24 })]);
    assert.notEqual(a.id, b.id);
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
    assert.equal(a.usage.prompt_tokens, b.usage.prompt_tokens);
    assert.equal(a.usage.completion_tokens, b.usage.completion_tokens);
  });

  it('counts every message of a conversation in prompt_tokens', async () => {
    const short = await chat({ max_tokens: 1 });
    const conversation = [
      { role: 'system', content: 'You are a terse assistant for a small bakery.' },
      ...hello,
      { role: 'assistant', content: 'I am the bakery assistant.' },
      { role: 'user', content: 'What bread do you have today?' },
    ];
    const long = await chat({ messages: conversation, max_tokens: 1 });
    assert_schema('CreateChatCompletionResponse', long);
    // Three more messages: each adds at least its words and the template's turn markers.
    assert.ok(
      long.usage.prompt_tokens >= short.usage.prompt_tokens + 15,
      `${short.usage.prompt_tokens} -> ${long.usage.prompt_tokens}`,
    );
    assert.equal(long.usage.completion_tokens, 1);
  });

  it('streams chunks that add up to the non-streamed answer, with usage when asked', async () => {
    const whole = await chat({ max_tokens: 20 });
    const chunks = await read_chat_stream(
      await chat({ max_tokens: 20, stream: true, stream_options: { include_usage: true } }),
    );
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    const ids = new Set(chunks.map((chunk) => chunk.id));
    assert.equal(ids.size, 1, 'every chunk carries the same id');
    for (const chunk of chunks) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, model);
    }
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(stream_text(chunks), whole.choices[0].message.content);

    // The last chunk holds only usage; the one before it ends the choice.
    const usage_chunk = chunks.at(-1);
    assert.deepEqual(usage_chunk.choices, []);
    assert_usage_adds_up(usage_chunk.usage);
    assert.equal(usage_chunk.usage.prompt_tokens, whole.usage.prompt_tokens);
    assert.equal(usage_chunk.usage.completion_tokens, 20);
    const finishes = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    assert.equal(finishes.length, 1, 'exactly one chunk carries finish_reason');
    assert.equal(finishes[0].choices[0].finish_reason, 'length');
    assert.equal(finishes[0], chunks.at(-2));
    for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.usage == null, 'usage only in the last chunk');
  });

  it('streams no usage unless stream_options.include_usage is set', async () => {
    const chunks = await read_chat_stream(await chat({ max_tokens: 8, stream: true }));
    assert.ok(chunks.length >= 2);
    for (const chunk of chunks) {
      assert.ok(chunk.usage == null, JSON.stringify(chunk));
      assert.equal(chunk.choices.length, 1);
    }
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
  });

  it('speaks OpenAI SSE on the wire: data lines of JSON, then data: [DONE]', async () => {
    const res = await server.fetch('/v1/chat/completions', {
      json: { model, messages: hello, max_tokens: 8, temperature: 0, stream: true },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const data = await read_sse_data(res);
    assert.equal(data.at(-1), '[DONE]');
    assert.equal(data.indexOf('[DONE]'), data.length - 1, 'nothing after [DONE]');
    for (const event of data.slice(0, -1)) assert_schema('CreateChatCompletionStreamResponse', JSON.parse(event));
  });

  it('sends valid UTF-8 even when tokens split a character', async () => {
    // Random weights emit byte tokens freely, so 200 tokens nearly always cut some character.
    const body = { model, messages: hello, max_tokens: 200, temperature: 1, seed: 11 };
    for (const stream of [false, true]) {
      const res = await server.fetch('/v1/chat/completions', { json: { ...body, stream } });
      assert.equal(res.status, 200);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // throws on invalid UTF-8
      if (!stream) assert_schema('CreateChatCompletionResponse', JSON.parse(text));
    }
  });

  it('ends at a stop string, leaving it out, streamed or not', async () => {
    const full = (await chat({ max_tokens: 64 })).choices[0].message.content;
    // A stop string from inside the greedy answer: two or three letters or digits (random weights
    // write many scripts and stray bytes; U+FFFD and control characters are avoided).
    const match = /[\p{L}\p{N}]{2,3}/u.exec(full.slice(1));
    assert.ok(match, `nothing to stop at in ${JSON.stringify(full)}`);
    const stop = match[0];
    const expected = full.slice(0, full.indexOf(stop));

    const res = await chat({ max_tokens: 64, stop: [stop] });
    assert_schema('CreateChatCompletionResponse', res);
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.equal(res.choices[0].message.content, expected);
    assert.ok(res.usage.completion_tokens < 64);

    const chunks = await read_chat_stream(await chat({ max_tokens: 64, stop, stream: true }));
    assert.equal(stream_text(chunks), expected);
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  });

  it('returns logprobs with top_logprobs alternatives, the greedy token first', async () => {
    const res = await chat({ max_tokens: 8, logprobs: true, top_logprobs: 3 });
    assert_schema('CreateChatCompletionResponse', res);
    const { content } = res.choices[0].logprobs;
    assert.equal(content.length, res.usage.completion_tokens);
    for (const entry of content) {
      assert.ok(Number.isFinite(entry.logprob) && entry.logprob <= 0, JSON.stringify(entry));
      assert.equal(entry.top_logprobs.length, 3, JSON.stringify(entry));
      const top = entry.top_logprobs.map((alt) => alt.logprob);
      assert.deepEqual(
        top,
        [...top].sort((x, y) => y - x),
        'alternatives most likely first',
      );
      assert.ok(top.reduce((sum, logprob) => sum + Math.exp(logprob), 0) <= 1 + 1e-4);
      assert.equal(entry.token, entry.top_logprobs[0].token, 'greedy picks the most likely token');
      assert.ok(Math.abs(entry.logprob - top[0]) < 1e-4);
      if (entry.bytes !== null) assert.ok(entry.bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255));
    }
  });

  it('reproduces a seeded sample, and the seed changes it', async () => {
    const sampled = (seed) =>
      chat({ temperature: 0.8, seed, max_tokens: 32 }).then((res) => res.choices[0].message.content);
    assert.equal(await sampled(7), await sampled(7));
    const texts = await Promise.all([1, 2, 3, 4].map(sampled));
    assert.ok(new Set(texts).size > 1, `four seeds, one text: ${JSON.stringify(texts)}`);
  });

  it('samples greedily when top_k is 1, min_p is 1 or top_p is tiny', async () => {
    const greedy = (await chat({ max_tokens: 24 })).choices[0].message.content;
    for (const extra of [{ top_k: 1 }, { min_p: 1 }, { top_p: 1e-6 }]) {
      const res = await chat({ max_tokens: 24, temperature: 0.8, seed: 5, ...extra });
      assert.equal(res.choices[0].message.content, greedy, JSON.stringify(extra));
    }
  });

  it('applies repeat_penalty', async () => {
    const plain = await chat({ max_tokens: 64, logprobs: true });
    const tokens = plain.choices[0].logprobs.content.map((entry) => entry.token);
    // Precondition, fixed by the seeded test model: greedy decoding repeats itself.
    assert.ok(new Set(tokens).size < tokens.length, 'greedy output repeats no token; pick another prompt');
    const penalized = await chat({ max_tokens: 64, repeat_penalty: 1.5 });
    assert.equal(penalized.usage.completion_tokens, 64);
    assert.notEqual(penalized.choices[0].message.content, plain.choices[0].message.content);
  });

  it('accepts X-Hearth-Priority batch and interactive without changing the answer', async () => {
    const plain = await chat({ max_tokens: 12 });
    for (const priority of ['batch', 'interactive']) {
      const res = await chat({ max_tokens: 12 }, { headers: { 'X-Hearth-Priority': priority } });
      assert_schema('CreateChatCompletionResponse', res);
      assert.equal(res.choices[0].message.content, plain.choices[0].message.content, priority);
    }
  });
});
