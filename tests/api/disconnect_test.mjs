// A client that goes away mid-stream must stop its generation. With one sequence at a time
// (--parallel 1), a dozen long streams that every client abandons would hold the engine for a
// dozen full generations if the server kept generating; a request sent after them must instead be
// answered in a fraction of that, and the server must stay healthy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HearthServer, only_model_id, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

const n_abandoned = 12;
const long_max_tokens = 1800;

let server;
let client;
let model;

before(
  async () => {
    server = await HearthServer.start(['--model', test_model_path(), '--parallel', '1', '--ctx', '2048']);
    client = server.openai({ timeout_ms: 60_000 });
    model = await only_model_id(client);
  },
  { timeout: 30_000 },
);

after(() => server?.stop());

function long_request(seed) {
  return {
    model,
    messages: [{ role: 'user', content: `Write a long essay, number ${seed}.` }],
    max_tokens: long_max_tokens,
    temperature: 0,
  };
}

describe('client disconnect', { timeout: 60_000 }, () => {
  it('stops the generation of a stream whose client aborted', async (t) => {
    // What one full generation costs here, for scale.
    const t_full_start = performance.now();
    const full = await client.chat.completions.create(long_request(0));
    const t_full_ms = performance.now() - t_full_start;
    assert.equal(full.usage.completion_tokens, long_max_tokens);

    const controllers = Array.from({ length: n_abandoned }, () => new AbortController());
    let first_chunk;
    const got_first_chunk = new Promise((resolve) => {
      first_chunk = resolve;
    });
    const readers = controllers.map(async (controller, stream_idx) => {
      let n_chunks = 0;
      try {
        const stream = await client.chat.completions.create(
          { ...long_request(stream_idx + 1), stream: true },
          { signal: controller.signal },
        );
        for await (const chunk of stream) {
          n_chunks++;
          first_chunk();
          if (chunk.choices[0]?.finish_reason) return { n_chunks, finished: true };
        }
        return { n_chunks, finished: false };
      } catch (error) {
        return { n_chunks, error };
      }
    });
    let timer;
    await Promise.race([
      got_first_chunk,
      new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error('no stream sent a chunk within 20 s')), 20_000);
      }),
    ]).finally(() => clearTimeout(timer));
    for (const controller of controllers) controller.abort();
    const outcomes = await Promise.all(readers);
    assert.ok(
      outcomes.every((outcome) => !outcome.finished),
      'an abandoned stream ran to its end',
    );

    const t_next_start = performance.now();
    const next = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 8,
      temperature: 0,
    });
    const t_next_ms = performance.now() - t_next_start;
    assert_schema('CreateChatCompletionResponse', next);
    // Had the server kept generating, the next request would wait about n_abandoned * t_full_ms.
    const limit_ms = Math.max(1_000, (n_abandoned * t_full_ms) / 4);
    t.diagnostic(
      `full generation ${t_full_ms.toFixed(0)} ms; request after ${n_abandoned} abandoned streams ${t_next_ms.toFixed(0)} ms`,
    );
    assert.ok(
      t_next_ms < limit_ms,
      `next request took ${t_next_ms.toFixed(0)} ms (one full generation: ${t_full_ms.toFixed(0)} ms, limit ${limit_ms.toFixed(0)} ms)`,
    );

    assert.equal((await server.fetch('/health')).status, 200);
    assert.ok(server.running);
  });
});
