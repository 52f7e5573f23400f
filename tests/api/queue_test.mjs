// Admission limits: with one sequence running (--parallel 1) and one waiting (--max-queued 1), as
// the server's status shows, every further request of a burst gets 429 with a Retry-After header and
// an OpenAI-shaped error, while the admitted ones complete in full. The one assumption: an
// 1800-token answer outlasts a few status requests and the burst.
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
  it('refuses requests beyond --max-queued with 429 and Retry-After', async () => {
    const body = {
      model,
      messages: [{ role: 'user', content: 'Count to a thousand.' }],
      max_tokens: slow_max_tokens,
      temperature: 0,
    };
    const send = () => server.fetch('/v1/chat/completions', { json: body, timeout_ms: 50_000 });
    const running = send();
    await server.wait_for_status((status) => status.queue.running === 1);
    const queued = send();
    await server.wait_for_status((status) => status.queue.running === 1 && status.queue.waiting === 1);
    const refused = await Promise.all(Array.from({ length: burst_size - 2 }, send));
    for (const res of refused) {
      assert.equal(res.status, 429);
      assert_schema('ErrorResponse', await res.json());
      const retry_after = res.headers.get('retry-after') ?? ''; // delay-seconds or an HTTP-date (RFC 9110 10.2.3)
      assert.ok(
        /^\d+$/.test(retry_after) || !Number.isNaN(Date.parse(retry_after)),
        `Retry-After ${JSON.stringify(retry_after)}`,
      );
    }
    for (const res of [await running, await queued]) {
      assert.equal(res.status, 200);
      const completion = await res.json();
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
