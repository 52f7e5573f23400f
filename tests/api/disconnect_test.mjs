// A client that goes away mid-stream must stop its generation. With one sequence at a time
// (--parallel 1), a dozen long streams that every client abandons would hold the engine for a
// dozen full generations if the server kept generating. Judged by what the server reports, not by
// how long anything takes: each abandoned request's access-log line says 499 (its handler
// cancelled the sequence before writing it), the engine goes idle, and it generated fewer tokens
// than the dozen full generations. The one assumption: an 1800-token generation outlasts the
// client's abort right after the first chunk.
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

// The access-log lines of chat requests, but for the one with id `except_id`.
function chat_lines(lines, except_id) {
  return lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((line) => line.route === '/v1/chat/completions' && line.id !== except_id);
}

async function engine() {
  const status = await (await server.fetch('/hearth/v1/status')).json();
  return status.models[0].engine;
}

describe('client disconnect', { timeout: 120_000 }, () => {
  it('stops the generation of a stream whose client aborted', async () => {
    // Loads the model, so the engine's counters exist.
    const warm = await client.chat.completions.create({ ...long_request(0), max_tokens: 2 });
    assert.equal(warm.usage.completion_tokens, 2);
    const generated_before = (await engine()).generated_tokens_total;

    const controllers = Array.from({ length: n_abandoned }, () => new AbortController());
    // The server writes a stream's first chunk (the role) once it has queued the sequence.
    let n_started = 0;
    let all_started;
    const got_all_started = new Promise((resolve) => {
      all_started = resolve;
    });
    const readers = controllers.map(async (controller, stream_idx) => {
      let n_chunks = 0;
      try {
        const stream = await client.chat.completions.create(
          { ...long_request(stream_idx + 1), stream: true },
          { signal: controller.signal },
        );
        for await (const chunk of stream) {
          if (n_chunks++ === 0 && ++n_started === n_abandoned) all_started();
          if (chunk.choices[0]?.finish_reason) return { n_chunks, finished: true };
        }
        return { n_chunks, finished: false };
      } catch (error) {
        return { n_chunks, error };
      }
    });
    await got_all_started; // bounded by the describe's timeout
    for (const controller of controllers) controller.abort();
    const outcomes = await Promise.all(readers);
    assert.ok(
      outcomes.every((outcome) => !outcome.finished),
      'an abandoned stream ran to its end',
    );

    // Every handler has written its line: each saw its client leave and cancelled its sequence.
    const lines = chat_lines(
      await server.wait_for_stderr((all) => chat_lines(all, warm.id).length >= n_abandoned),
      warm.id,
    );
    assert.equal(lines.length, n_abandoned);
    for (const line of lines) assert.equal(line.status, 499, JSON.stringify(line));
    // The engine lets go of them: nothing runs or waits, and it stopped far short of generating
    // every abandoned answer in full.
    const idle = await server.wait_for_status((status) => status.queue.running === 0 && status.queue.waiting === 0);
    const generated = idle.models[0].engine.generated_tokens_total - generated_before;
    assert.ok(generated < n_abandoned * long_max_tokens, `${generated} tokens generated after the aborts`);

    const next = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 8,
      temperature: 0,
    });
    assert_schema('CreateChatCompletionResponse', next);
    assert.equal((await server.fetch('/health')).status, 200);
    assert.ok(server.running);
  });
});
