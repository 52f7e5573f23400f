// Continuous batching must not change what a request generates: 16 streams with seeded sampling
// (temperature 0.8, each its own seed and prompt), run all at once, produce exactly the texts the
// same requests produce one at a time. A few of them go in as batch priority, which must not
// change their text either.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HearthServer, only_model_id, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

const n_streams = 16;

let server;
let client;
let model;

before(
  async () => {
    server = await HearthServer.start(['--model', test_model_path(), '--parallel', String(n_streams), '--ctx', '1024']);
    client = server.openai({ timeout_ms: 60_000 });
    model = await only_model_id(client);
  },
  { timeout: 30_000 },
);

after(() => server?.stop());

function request(stream_idx) {
  const words = 'tell me about the harbour the boats the fish and the weather today'.split(' ');
  return {
    body: {
      model,
      messages: [
        {
          role: 'user',
          content: `Request ${stream_idx}: ${words.slice(0, 3 + (stream_idx % words.length)).join(' ')}`,
        },
      ],
      temperature: 0.8,
      seed: 1000 + stream_idx,
      max_tokens: 48 + 4 * stream_idx,
      stream: true,
      stream_options: { include_usage: true },
    },
    headers: stream_idx % 4 === 3 ? { 'X-Hearth-Priority': 'batch' } : {},
  };
}

async function run_stream(stream_idx) {
  const { body, headers } = request(stream_idx);
  const stream = await client.chat.completions.create(body, { headers });
  let text = '';
  let finish_reason = null;
  let usage = null;
  for await (const chunk of stream) {
    assert_schema('CreateChatCompletionStreamResponse', chunk);
    text += chunk.choices[0]?.delta?.content ?? '';
    finish_reason = chunk.choices[0]?.finish_reason ?? finish_reason;
    usage = chunk.usage ?? usage;
  }
  assert.ok(
    finish_reason === 'stop' || finish_reason === 'length',
    `stream ${stream_idx}: finish_reason ${finish_reason}`,
  );
  assert.ok(usage !== null, `stream ${stream_idx}: no usage chunk`);
  return { text, finish_reason, completion_tokens: usage.completion_tokens };
}

describe('concurrent streams', { timeout: 90_000 }, () => {
  it('generate the same seeded texts together as one at a time', async () => {
    const alone = [];
    for (let stream_idx = 0; stream_idx < n_streams; stream_idx++) alone.push(await run_stream(stream_idx));
    const together = await Promise.all(Array.from({ length: n_streams }, (_, stream_idx) => run_stream(stream_idx)));
    for (let stream_idx = 0; stream_idx < n_streams; stream_idx++) {
      assert.deepEqual(together[stream_idx], alone[stream_idx], `stream ${stream_idx} differs when batched`);
    }
    // The comparison means something only if the requests generate different, non-empty texts.
    assert.ok(new Set(alone.map((outcome) => outcome.text)).size >= n_streams - 1, 'seeds gave the same texts');
    assert.ok(
      alone.filter((outcome) => outcome.completion_tokens >= 8).length >= n_streams / 2,
      'most samples ended at once',
    );
  });
});
