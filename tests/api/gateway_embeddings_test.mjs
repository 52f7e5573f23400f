// /v1/embeddings through a gateway: routed by model to the node that serves the embedding model,
// by alias to a cloud provider for public data, and never to the cloud for internal or
// confidential data (fails closed, nothing reaches the mock provider).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, run_hearth, wait_until } from './hearth_server.mjs';
import { start_mock_openai } from './mock_openai.mjs';
import { assert_schema } from './openai_schema.mjs';

let work_dir;
let cloud;
let node;
let gateway;


function embed(server, model, headers = {}) {
  return server.fetch('/v1/embeddings', {
    json: { model, input: ['one', 'two'], encoding_format: 'float' },
    headers,
  });
}

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-gateway-embeddings-'));
    fs.mkdirSync(path.join(work_dir, 'node'));
    fs.mkdirSync(path.join(work_dir, 'none'));
    run_hearth(['synth', '--shape', 'tiny-embedding', '--type', 'q8_0', '-o', path.join(work_dir, 'node', 'emb.gguf')]);
    cloud = await start_mock_openai();
    node = await HearthServer.start(['--models-dir', path.join(work_dir, 'node'), '--ctx', '256']);
    const config = path.join(work_dir, 'gateway.toml');
    fs.writeFileSync(
      config,
      `models_dir = "none"

[gateway]
poll_interval = "100ms"

[[nodes]]
name = "n"
url = "${node.base_url}"

[[providers]]
name = "mock"
kind = "openai-compatible"
base_url = "${cloud.url}"
api_key_env = "HEARTH_TEST_MOCK_KEY"
input_usd_per_mtok = "0.02"
output_usd_per_mtok = "0"

[[aliases]]
name = "emb-cloud"
cloud = ["mock:text-embedding-mock"]

[policy]
default_class = "public"
public = ["local", "mock"]
internal = ["local"]
confidential = ["local"]
`,
    );
    process.env.HEARTH_TEST_MOCK_KEY = 'sk-mock-secret';
    gateway = await HearthServer.start(['--config', config]);
    assert.ok(
      await wait_until(async () => (await (await gateway.fetch('/v1/models')).json()).data.some((m) => m.id === 'emb')),
      'the gateway never saw the node',
    );
  },
  { timeout: 90_000 },
);

after(async () => {
  gateway?.stop();
  node?.stop();
  await cloud?.close();
  if (work_dir) fs.rmSync(work_dir, { recursive: true, force: true });
});

describe('embeddings through a gateway', { timeout: 60_000 }, () => {
  it('routes an embedding model to the node that serves it, answering what the node answers', async () => {
    const through = await embed(gateway, 'emb', { 'X-Hearth-Data-Class': 'confidential' });
    assert.equal(through.status, 200);
    assert.equal(through.headers.get('x-hearth-target'), 'node:n');
    const body = await through.json();
    assert_schema('CreateEmbeddingResponse', body);
    const direct = await (await embed(node, 'emb')).json();
    assert.deepEqual(body.data, direct.data);
  });

  it('sends public data for a cloud alias to the provider, and keeps internal and confidential data in', async () => {
    const before_count = cloud.requests.length;
    const res = await embed(gateway, 'emb-cloud');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-hearth-target'), 'mock');
    assert_schema('CreateEmbeddingResponse', await res.json());
    assert.equal(cloud.requests.length, before_count + 1);
    assert.equal(cloud.requests.at(-1).path, '/v1/embeddings');
    assert.equal(cloud.requests.at(-1).body.model, 'text-embedding-mock');
    for (const data_class of ['internal', 'confidential']) {
      const kept = await embed(gateway, 'emb-cloud', { 'X-Hearth-Data-Class': data_class });
      assert.equal(kept.status, 503);
      assert.equal((await kept.json()).error.code, 'no_allowed_target');
    }
    assert.equal(cloud.requests.length, before_count + 1, 'nothing more left the shop');
  });

  it('checks the request as a node would before routing it anywhere', async () => {
    const before_count = cloud.requests.length;
    const res = await gateway.fetch('/v1/embeddings', { json: { model: 'emb-cloud', input: 'a', dimensions: 0 } });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.param, 'dimensions');
    assert.equal(cloud.requests.length, before_count);
  });
});
