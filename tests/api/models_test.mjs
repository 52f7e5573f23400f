// A server over a directory of models (`--models-dir`): GET /v1/models and /v1/models/{id}, routing
// a request to the model it names, GET /health, and the access log (one JSON line per request).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { HearthServer, test_models_dir } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

const model_ids = ['tiny', 'tiny-b']; // the files hearth_server.mjs synthesizes, less .gguf

let server;
let client;

before(
  async () => {
    server = await HearthServer.start(['--models-dir', test_models_dir(), '--parallel', '2', '--ctx', '512']);
    client = server.openai();
  },
  { timeout: 30_000 },
);

after(() => server?.stop());

function json_lines(lines) {
  return lines.filter((line) => {
    try {
      const value = JSON.parse(line);
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    } catch {
      return false;
    }
  });
}

describe('models', { timeout: 30_000 }, () => {
  it('lists every *.gguf of the directory under its file name', async () => {
    const res = await server.fetch('/v1/models');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = await res.json();
    assert_schema('ListModelsResponse', body);
    assert.deepEqual(body.data.map((entry) => entry.id).sort(), model_ids);
    for (const entry of body.data) assert_schema('Model', entry);

    const listed = await client.models.list(); // the SDK's view of the same list
    assert.deepEqual(listed.data.map((entry) => entry.id).sort(), model_ids);
  });

  it('retrieves one model by id', async () => {
    for (const id of model_ids) {
      const res = await server.fetch(`/v1/models/${id}`);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert_schema('Model', body);
      assert.equal(body.id, id);
      assert.equal(body.object, 'model');
      assert.equal((await client.models.retrieve(id)).id, id);
    }
  });

  it('answers 404 in OpenAI error shape for an unknown model', async () => {
    const res = await server.fetch('/v1/models/no-such-model');
    assert.equal(res.status, 404);
    assert_schema('ErrorResponse', await res.json());
    await assert.rejects(client.models.retrieve('no-such-model'), OpenAI.NotFoundError);
    await assert.rejects(
      client.chat.completions.create({
        model: 'no-such-model',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 2,
      }),
      OpenAI.NotFoundError,
    );
  });

  it('routes each request to the model it names', async () => {
    const answers = [];
    for (const id of model_ids) {
      const res = await client.chat.completions.create({
        model: id,
        messages: [{ role: 'user', content: 'Tell me a story.' }],
        max_tokens: 24,
        temperature: 0,
      });
      assert_schema('CreateChatCompletionResponse', res);
      assert.equal(res.model, id);
      answers.push(res.choices[0].message.content);
    }
    // Same shape, different random weights: greedy answers to one prompt differ.
    assert.notEqual(answers[0], answers[1]);
  });

  it('reports health', async () => {
    const res = await server.fetch('/health');
    assert.equal(res.status, 200);
  });

  it('reports status: the machine, and per model the engine counters and measured rates', async () => {
    const res = await server.fetch('/hearth/v1/status');
    assert.equal(res.status, 200);
    const status = await res.json();
    assert.equal(status.object, 'hearth.status');
    assert.ok(status.machine.ram_bytes > 0 && status.machine.usable_bytes > 0, JSON.stringify(status.machine));
    const ids = (await client.models.list()).data.map((m) => m.id).sort();
    assert.deepEqual(status.models.map((m) => m.id).sort(), ids);
    assert.ok(status.memory.budget_bytes > 0 && status.memory.committed_bytes > 0, JSON.stringify(status.memory));
    assert.equal(status.queue.running, 0);
    for (const model of status.models) {
      // The earlier tests chatted with every model: each was loaded on demand and is resident.
      assert.equal(model.state, 'resident');
      assert.ok(model.plan.weights_bytes > 0 && model.plan.kv_bytes > 0, JSON.stringify(model));
      const { weights_bytes, kv_bytes, scratch_bytes, overhead_bytes } = model.plan;
      assert.equal(model.planned_bytes, weights_bytes + kv_bytes + scratch_bytes + overhead_bytes);
      assert.equal(model.loads, 1);
      assert.equal(model.in_use, 0);
      assert.ok(model.last_used_unix_ms > 0 && model.idle_ms >= 0, JSON.stringify(model));
      assert.deepEqual(model.capabilities, ['generate']);
      const engine = model.engine;
      assert.ok(engine.kv.blocks_total > 0, JSON.stringify(model));
      // What the engine holds is what was planned (scratch within its planned peak).
      assert.equal(engine.memory.weights_bytes, weights_bytes);
      assert.equal(engine.memory.cache_bytes, kv_bytes);
      assert.ok(engine.memory.scratch_bytes > 0 && engine.memory.scratch_bytes <= scratch_bytes, JSON.stringify(model));
      assert.equal(engine.kv.blocks_used, 0); // nothing is running
      assert.equal(engine.running, 0);
      // Prompts were computed and tokens decoded.
      const measured = engine.generated_tokens_total > 0 && engine.prefill_tps > 0 && engine.decode_tps > 0;
      assert.ok(measured, JSON.stringify(model));
    }
  });

  it('logs one JSON line per request on stderr', async () => {
    const ids = [];
    for (const [route, init] of [
      ['/health', {}],
      ['/v1/models', {}],
      ['/v1/models/no-such-model', {}],
      ['/v1/completions', { json: { model: 'tiny', prompt: 'Hi', max_tokens: 2 } }],
    ]) {
      const res = await server.fetch(route, init);
      await res.arrayBuffer();
      ids.push(res.headers.get('x-request-id'));
    }
    assert.ok(ids.every((id) => id), `X-Request-Id of each: ${ids}`);
    // Each line is written after its response; stopping the server flushes any still to come.
    const logged = (lines) => json_lines(lines).map((line) => JSON.parse(line).id);
    await server.wait_for_stderr((lines) => ids.every((id) => logged(lines).includes(id)));
    assert.equal((await server.stop()).code, 0);
    const all = logged(server.stderr_lines);
    for (const id of ids) assert.equal(all.filter((logged_id) => logged_id === id).length, 1, id);
  });
});
