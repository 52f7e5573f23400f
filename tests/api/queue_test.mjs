// Admission limits: with one sequence running (--parallel 1) and room for one waiting
// (--max-queued 1), a burst of requests gets some 429s, each with a Retry-After header and an
// OpenAI-shaped error, while the admitted ones complete in full.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HearthServer, only_model_id, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

const burst_size = 8;
const slow_max_tokens = 1800; // about half a second of decoding for the tiny model on two cores

let server;
let model;

before(
  async () => {
    server = await HearthServer.start([
      '--model',
      test_model_path(),
      '--parallel',
      '1',
      '--max-queued',
      '1',
      '--ctx',
      '2048',
    ]);
    model = await only_model_id(server.openai());
  },
  { timeout: 30_000 },
);

after(() => server?.stop());

describe('queue limits', { timeout: 60_000 }, () => {
  it('refuses requests beyond --max-queued with 429 and Retry-After', async (t) => {
    const body = {
      model,
      messages: [{ role: 'user', content: 'Count to a thousand.' }],
      max_tokens: slow_max_tokens,
      temperature: 0,
    };
    const responses = await Promise.all(
      Array.from({ length: burst_size }, () =>
        server.fetch('/v1/chat/completions', { json: body, timeout_ms: 50_000 }),
      ),
    );
    const outcomes = await Promise.all(responses.map(async (res) => ({ res, body: await res.json() })));

    const refused = outcomes.filter(({ res }) => res.status === 429);
    const served = outcomes.filter(({ res }) => res.status === 200);
    t.diagnostic(`${served.length} served, ${refused.length} refused`);
    assert.equal(refused.length + served.length, burst_size, `statuses ${outcomes.map(({ res }) => res.status)}`);
    assert.ok(refused.length >= 1, 'a burst of 8 slow requests against 1 running + 1 queued got no 429');
    assert.ok(served.length >= 1, 'no request of the burst was served');
    for (const { res, body: error } of refused) {
      assert_schema('ErrorResponse', error);
      const retry_after = res.headers.get('retry-after') ?? ''; // delay-seconds or an HTTP-date (RFC 9110 10.2.3)
      assert.ok(
        /^\d+$/.test(retry_after) || !Number.isNaN(Date.parse(retry_after)),
        `Retry-After ${JSON.stringify(retry_after)}`,
      );
    }
    for (const { body: completion } of served) {
      assert_schema('CreateChatCompletionResponse', completion);
      assert.equal(completion.usage.completion_tokens, slow_max_tokens);
    }
  });

  it('serves normally once the burst is over', async () => {
    const res = await server.fetch('/v1/chat/completions', {
      json: { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 },
    });
    assert.equal(res.status, 200);
  });
});
