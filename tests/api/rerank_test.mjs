// POST /v1/rerank (the shape Cohere, Jina and llama.cpp's server share) on a tiny random-weight
// cross-encoder that `hearth synth --shape tiny-reranker` writes (bert with a classification head,
// rank pooling), served beside a chat model and an embedding model: ranking, top_n,
// return_documents, documents as objects, the errors that name the field, the capability checks,
// and the same request routed through a gateway to the node that serves the model.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, run_hearth, test_model_path, wait_until } from './hearth_server.mjs';

let dir;
let server;
let gateway;
const model = 'tiny-reranker';
const documents = [
  'The sea is deep and blue.',
  'Inference engines read weights from memory.',
  'A cat sat on the mat.',
  'The sea is deep and blue.',
  'Quantized weights make decoding faster.',
];

before(
  async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-rerank-'));
    fs.mkdirSync(path.join(dir, 'models'));
    run_hearth(['synth', '--shape', 'tiny-reranker', '--type', 'q8_0', '-o', path.join(dir, 'models', `${model}.gguf`)]);
    run_hearth(['synth', '--shape', 'tiny-embedding', '--type', 'q8_0', '-o', path.join(dir, 'models', 'emb.gguf')]);
    fs.copyFileSync(test_model_path(), path.join(dir, 'models', 'chat.gguf'));
    server = await HearthServer.start(['--models-dir', path.join(dir, 'models'), '--ctx', '128']);
    const config = path.join(dir, 'gateway.toml');
    fs.mkdirSync(path.join(dir, 'none'));
    fs.writeFileSync(
      config,
      `models_dir = "none"

[gateway]
poll_interval = "100ms"

[[nodes]]
name = "n"
url = "${server.base_url}"
`,
    );
    gateway = await HearthServer.start(['--config', config]);
    assert.ok(
      await wait_until(async () => (await (await gateway.fetch('/v1/models')).json()).data.some((m) => m.id === model)),
      'the gateway never saw the node',
    );
  },
  { timeout: 90_000 },
);

after(() => {
  gateway?.stop();
  server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function rerank(body, target = server) {
  const res = await target.fetch('/v1/rerank', { method: 'POST', json: body });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('rerank', { timeout: 60_000 }, () => {
  it('scores every document and sorts the results by relevance_score', async () => {
    const { status, body } = await rerank({ model, query: 'Why is the sea blue?', documents });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.object, 'list');
    assert.equal(body.model, model);
    assert.equal(body.results.length, documents.length);
    assert.deepEqual([...body.results.map((r) => r.index)].sort(), [0, 1, 2, 3, 4]);
    for (let idx = 1; idx < body.results.length; ++idx) {
      assert.ok(body.results[idx - 1].relevance_score >= body.results[idx].relevance_score, JSON.stringify(body.results));
    }
    for (const result of body.results) {
      assert.equal(typeof result.relevance_score, 'number');
      assert.ok(Number.isFinite(result.relevance_score));
      assert.equal(result.document, undefined, 'documents only when asked for');
    }
    const score = (index) => body.results.find((r) => r.index === index).relevance_score;
    assert.equal(score(0), score(3), 'the same document scores the same');
    assert.notEqual(score(0), score(2));
    assert.ok(body.usage.prompt_tokens > documents.length * 4);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens);
  });

  it('keeps the top_n best, with their documents when return_documents is set', async () => {
    const all = await rerank({ model, query: 'weights', documents });
    const { status, body } = await rerank({ model, query: 'weights', documents, top_n: 2, return_documents: true });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.results.length, 2);
    assert.deepEqual(
      body.results.map((r) => r.index),
      all.body.results.slice(0, 2).map((r) => r.index),
    );
    for (const result of body.results) assert.deepEqual(result.document, { text: documents[result.index] });
    // top_n beyond the documents returns them all.
    const many = await rerank({ model, query: 'weights', documents: documents.slice(0, 2), top_n: 50 });
    assert.equal(many.body.results.length, 2);
  });

  it('takes documents as {"text": ...} objects, scoring them as the strings', async () => {
    const strings = await rerank({ model, query: 'a cat', documents });
    const objects = await rerank({ model, query: 'a cat', documents: documents.map((text) => ({ text })) });
    assert.equal(objects.status, 200, JSON.stringify(objects.body));
    assert.deepEqual(objects.body.results, strings.body.results);
  });

  it('cuts long documents to the context instead of refusing them', async () => {
    const long = 'the sea is deep and blue '.repeat(200);
    const { status, body } = await rerank({ model, query: 'sea', documents: [long, 'cat'] });
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(body.usage.prompt_tokens <= 2 * 128, JSON.stringify(body.usage));
  });

  it('refuses malformed requests naming the field', async () => {
    const cases = [
      [{ model, documents }, 'query'],
      [{ model, query: 'q' }, 'documents'],
      [{ model, query: 'q', documents: [] }, 'documents'],
      [{ model, query: 'q', documents: ['a', 3] }, 'documents[1]'],
      [{ model, query: 'q', documents: [{ txt: 'a' }] }, 'documents[0].text'],
      [{ model, query: 'q', documents, top_n: 0 }, 'top_n'],
      [{ model, query: 'q', documents, top_n: 1.5 }, 'top_n'],
      [{ model, query: 'q', documents, return_documents: 'yes' }, 'return_documents'],
      [{ model, query: 'q', documents, rank_fields: ['x'] }, 'rank_fields'],
      [{ model, query: 7, documents }, 'query'],
    ];
    for (const [body, param] of cases) {
      const res = await rerank(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.param, param, JSON.stringify(res.body));
      assert.equal(res.body.error.type, 'invalid_request_error');
    }
    const many = await rerank({ model, query: 'q', documents: Array(1001).fill('a') });
    assert.equal(many.status, 400);
    assert.equal(many.body.error.param, 'documents');
  });

  it('serves only models that rank, and ranks nothing else', async () => {
    for (const other of ['emb', 'chat']) {
      const res = await rerank({ model: other, query: 'q', documents });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'model_not_supported');
    }
    const embed = await server.fetch('/v1/embeddings', { method: 'POST', json: { model, input: 'a' } });
    assert.equal(embed.status, 400);
    assert.equal((await embed.json()).error.code, 'model_not_supported');
    const missing = await rerank({ model: 'no-such-model', query: 'q', documents });
    assert.equal(missing.status, 404);
  });

  it('goes through a gateway to the node that serves the model, answering what the node answers', async () => {
    const direct = await rerank({ model, query: 'Why is the sea blue?', documents, return_documents: true });
    const through = await rerank({ model, query: 'Why is the sea blue?', documents, return_documents: true }, gateway);
    assert.equal(through.status, 200, JSON.stringify(through.body));
    assert.equal(through.headers.get('x-hearth-target'), 'node:n');
    assert.deepEqual(through.body.results, direct.body.results);
    const invalid = await rerank({ model, query: 'q', documents, top_n: 0 }, gateway);
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.param, 'top_n');
  });
});
