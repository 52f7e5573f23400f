// POST /v1/embeddings through the official openai SDK (float and base64), on a tiny qwen3
// embedding model that `hearth synth --shape tiny-embedding` writes (last-token pooling), served
// beside a chat model: shapes against CreateEmbeddingResponse, normalization, dimensions, token
// inputs, truncation and the errors that name the field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, run_hearth, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

const n_ctx = 64;
let server;
let client;
let dir;
const model = 'tiny-embedding';

before(
  async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-embeddings-'));
    const file = path.join(dir, `${model}.gguf`);
    run_hearth(['synth', '--shape', 'tiny-embedding', '--type', 'q8_0', '-o', file]);
    server = await HearthServer.start(['--model', file, '--model', test_model_path(), '--ctx', String(n_ctx)]);
    client = server.openai();
  },
  { timeout: 60_000 },
);

after(() => {
  server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function norm(vector) {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

async function post(body) {
  const res = await server.fetch('/v1/embeddings', { method: 'POST', json: body });
  return { status: res.status, body: await res.json() };
}

describe('embeddings', { timeout: 60_000 }, () => {
  it('answers a string with one normalized vector, as the schema says', async () => {
    const { status, body } = await post({ model, input: 'The quick brown fox', encoding_format: 'float' });
    assert.equal(status, 200, JSON.stringify(body));
    assert_schema('CreateEmbeddingResponse', body);
    assert.equal(body.data.length, 1);
    assert.equal(body.model, model);
    assert.equal(body.data[0].embedding.length, 256);
    assert.ok(Math.abs(norm(body.data[0].embedding) - 1) < 1e-4);
    assert.ok(body.usage.prompt_tokens > 0);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens);
  });

  it('gives the same vectors as floats and as base64 (the SDK default), in input order', async () => {
    const input = ['alpha', 'a longer sentence about the sea', 'alpha'];
    const floats = await client.embeddings.create({ model, input, encoding_format: 'float' });
    const decoded = await client.embeddings.create({ model, input }); // base64 on the wire
    assert.deepEqual(
      floats.data.map((item) => item.index),
      [0, 1, 2],
    );
    for (let idx = 0; idx < input.length; ++idx) {
      assert.deepEqual(Array.from(decoded.data[idx].embedding), floats.data[idx].embedding);
    }
    assert.deepEqual(floats.data[0].embedding, floats.data[2].embedding); // same text, same vector
    assert.notDeepEqual(floats.data[0].embedding, floats.data[1].embedding);
    // The published schema types `embedding` as numbers only; with base64 OpenAI sends (and its
    // SDK decodes) a string of little-endian float32s: decoded, it must be the schema's array.
    const raw = await post({ model, input: 'alpha', encoding_format: 'base64' });
    assert.equal(typeof raw.body.data[0].embedding, 'string');
    const bytes = Buffer.from(raw.body.data[0].embedding, 'base64');
    raw.body.data[0].embedding = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    assert_schema('CreateEmbeddingResponse', raw.body);
    assert.deepEqual(raw.body.data[0].embedding, floats.data[0].embedding);
  });

  it('takes token ids, and dimensions keeps a normalized prefix', async () => {
    const ids = await client.embeddings.create({ model, input: [[5, 6, 7], [8]], encoding_format: 'float' });
    assert.equal(ids.data.length, 2);
    assert.equal(ids.usage.prompt_tokens, 4);
    const full = (await client.embeddings.create({ model, input: [5, 6, 7], encoding_format: 'float' })).data[0]
      .embedding;
    assert.deepEqual(full, ids.data[0].embedding);
    const short = (await client.embeddings.create({ model, input: [5, 6, 7], dimensions: 16, encoding_format: 'float' }))
      .data[0].embedding;
    assert.equal(short.length, 16);
    assert.ok(Math.abs(norm(short) - 1) < 1e-4);
    const scale = norm(full.slice(0, 16));
    for (let idx = 0; idx < 16; ++idx) assert.ok(Math.abs(short[idx] - full[idx] / scale) < 1e-5);
  });

  it('refuses an input beyond the context unless asked to truncate', async () => {
    const long = Array.from({ length: n_ctx + 5 }, (_, idx) => 5 + (idx % 50));
    const refused = await post({ model, input: [[1, 2], long] });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.param, 'input[1]');
    assert.equal(refused.body.error.code, 'context_length_exceeded');
    const cut = await post({ model, input: long, truncate: true, encoding_format: 'float' });
    assert.equal(cut.status, 200, JSON.stringify(cut.body));
    assert.equal(cut.body.usage.prompt_tokens, n_ctx);
    const first = await post({ model, input: long.slice(0, n_ctx), encoding_format: 'float' });
    assert.deepEqual(cut.body.data[0].embedding, first.body.data[0].embedding);
  });

  it('names the field of a bad request', async () => {
    for (const [body, param] of [
      [{ model }, 'input'],
      [{ model, input: [] }, 'input'],
      [{ model, input: ['a', 3] }, 'input[1]'],
      [{ model, input: [[1, -2]] }, 'input[0]'],
      [{ model, input: 'a', encoding_format: 'int8' }, 'encoding_format'],
      [{ model, input: 'a', dimensions: 0 }, 'dimensions'],
      [{ model, input: 'a', dimensions: 257 }, 'dimensions'],
      [{ model, input: [[1, 100000]] }, 'input'],
      [{ model, input: 'a', temperature: 1 }, 'temperature'],
    ]) {
      const { status, body: error } = await post(body);
      assert.equal(status, 400, JSON.stringify(body));
      assert_schema('ErrorResponse', error);
      assert.equal(error.error.param, param, JSON.stringify(error));
    }
  });

  it('keeps chat and embeddings apart: each model is refused what its engine cannot do', async () => {
    const chat_model = path.basename(test_model_path(), '.gguf');
    const not_embedder = await post({ model: chat_model, input: 'hi' });
    assert.equal(not_embedder.status, 400);
    assert.equal(not_embedder.body.error.code, 'model_not_supported');
    const res = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: { model, messages: [{ role: 'user', content: 'hi' }] },
    });
    const not_generator = await res.json();
    assert.equal(res.status, 400);
    assert.equal(not_generator.error.code, 'model_not_supported');
    assert.match(not_generator.error.message, /serves only: embed/);
    const status = await (await server.fetch('/hearth/v1/status')).json();
    const entry = status.models.find((item) => item.id === model);
    assert.deepEqual(entry.capabilities, ['embed']);
    assert.equal(entry.engine.memory.cache_bytes, entry.plan.kv_bytes);
    assert.ok(entry.engine.memory.scratch_bytes <= entry.plan.scratch_bytes);
  });
});
