// Ollama's API on `hearth serve`, driven with the official `ollama` npm client: /api/generate and
// /api/chat (whole and streamed NDJSON, options, format, tools in the prompt, keep_alive loads and
// unloads), /api/embed and /api/embeddings, /api/tags, /api/show, /api/ps, /api/version, /api/pull
// (from --pull-from, progress streamed) and /api/delete; errors in Ollama's {"error": "..."} shape
// (images refused until vision exists). Then the same client through a gateway to a node, and
// Ollama's API refused for a cloud-only model (no cloud provider speaks it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { Ollama } from 'ollama';
import { HearthServer, repo_root, run_hearth, test_model_path, wait_until } from './hearth_server.mjs';
import { start_mock_openai } from './mock_openai.mjs';

let work_dir;
let server;
let ollama;

function client(base_url) {
  return new Ollama({ host: base_url });
}

// The status of an ollama client call that must fail, with its message.
async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return { status: error.status_code, message: error.error ?? error.message };
  }
  assert.fail('the call succeeded');
}

async function collect(stream) {
  const parts = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-ollama-'));
    const models = path.join(work_dir, 'models');
    const pulls = path.join(work_dir, 'nas');
    fs.mkdirSync(models);
    fs.mkdirSync(pulls);
    fs.copyFileSync(test_model_path(), path.join(models, 'tiny.gguf'));
    const template = JSON.parse(
      fs.readFileSync(path.join(repo_root, 'tests', 'fixtures', 'chat_templates', 'qwen3.json'), 'utf8'),
    ).template;
    fs.writeFileSync(path.join(work_dir, 'qwen3.jinja'), template);
    run_hearth([
      'synth', '--shape', 'tiny', '--chat-template', path.join(work_dir, 'qwen3.jinja'),
      '-o', path.join(models, 'qwen3-tiny-q8_0.gguf'),
    ]);
    run_hearth(['synth', '--shape', 'tiny-embedding', '--type', 'q8_0', '-o', path.join(models, 'emb.gguf')]);
    // What /api/pull finds for "pulled:1": <pull-from>/pulled-1.gguf.
    run_hearth(['synth', '--shape', 'tiny', '--type', 'q8_0', '--seed', '7', '-o', path.join(pulls, 'pulled-1.gguf')]);
    server = await HearthServer.start(['--models-dir', models, '--ctx', '1024', '--pull-from', pulls]);
    ollama = client(server.base_url);
  },
  { timeout: 120_000 },
);

after(async () => {
  await server?.stop();
  if (work_dir) fs.rmSync(work_dir, { recursive: true, force: true });
});

describe('ollama client against hearth serve', () => {
  it('version and the model list, named as Ollama names them', async () => {
    const version = await ollama.version();
    assert.match(version.version, /^\d+\.\d+\.\d+/);
    const { models } = await ollama.list();
    const names = models.map((m) => m.name).sort();
    assert.deepEqual(names, ['emb:latest', 'qwen3-tiny-q8_0:latest', 'tiny:latest']);
    const tiny = models.find((m) => m.name === 'tiny:latest');
    assert.equal(tiny.model, 'tiny:latest');
    assert.equal(tiny.details.format, 'gguf');
    assert.equal(tiny.details.family, 'llama');
    assert.equal(tiny.details.quantization_level, 'Q8_0');
    assert.ok(tiny.size > 0);
    assert.ok(!Number.isNaN(Date.parse(tiny.modified_at)));
  });

  it('generate: whole, and streamed to the same text with the same seed', { timeout: 60_000 }, async () => {
    const options = { seed: 11, temperature: 0.9, num_predict: 24 };
    const whole = await ollama.generate({ model: 'tiny', prompt: 'Once upon a time', options });
    assert.equal(whole.done, true);
    assert.equal(whole.model, 'tiny');
    assert.ok(['stop', 'length'].includes(whole.done_reason));
    assert.ok(whole.eval_count >= 1 && whole.eval_count <= 24, String(whole.eval_count));
    assert.ok(whole.prompt_eval_count > 0);
    assert.ok(whole.total_duration > 0);
    const parts = await collect(await ollama.generate({ model: 'tiny:latest', prompt: 'Once upon a time', options, stream: true }));
    const last = parts.at(-1);
    assert.equal(last.done, true);
    assert.ok(parts.slice(0, -1).every((part) => part.done === false));
    assert.equal(parts.map((part) => part.response).join(''), whole.response);
    assert.equal(last.eval_count, whole.eval_count);
  });

  it('generate raw: the prompt as it is, no template', async () => {
    const templated = await ollama.generate({ model: 'tiny', prompt: 'Hello', options: { num_predict: 1 } });
    const raw = await ollama.generate({ model: 'tiny', prompt: 'Hello', raw: true, options: { num_predict: 1 } });
    assert.ok(raw.prompt_eval_count < templated.prompt_eval_count, `${raw.prompt_eval_count} vs ${templated.prompt_eval_count}`);
  });

  it('chat: whole and streamed, options num_predict and stop', { timeout: 60_000 }, async () => {
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say something.' },
    ];
    const whole = await ollama.chat({ model: 'tiny', messages, options: { seed: 3, num_predict: 5 } });
    assert.equal(whole.message.role, 'assistant');
    assert.equal(typeof whole.message.content, 'string');
    assert.equal(whole.done, true);
    if (whole.done_reason === 'length') assert.equal(whole.eval_count, 5);
    const parts = await collect(await ollama.chat({ model: 'tiny', messages, options: { seed: 3, num_predict: 5 }, stream: true }));
    assert.equal(parts.map((part) => part.message.content).join(''), whole.message.content);
    assert.equal(parts.at(-1).done, true);
    // A stop string the answer holds ends it there.
    const long = await ollama.chat({ model: 'tiny', messages, options: { seed: 5, num_predict: 40, temperature: 1.5 } });
    if (long.message.content.length > 4) {
      const stop = long.message.content.slice(2, 4);
      const stopped = await ollama.chat({ model: 'tiny', messages, options: { seed: 5, num_predict: 40, temperature: 1.5, stop: [stop] } });
      assert.equal(stopped.done_reason, 'stop');
      assert.ok(!stopped.message.content.includes(stop));
      assert.ok(long.message.content.startsWith(stopped.message.content));
    }
  });

  it('format: "json" and a JSON schema constrain the answer', { timeout: 120_000 }, async () => {
    const json = await ollama.generate({ model: 'tiny', prompt: 'A person', format: 'json', options: { seed: 1, num_predict: 300 } });
    if (json.done_reason === 'stop') assert.equal(typeof JSON.parse(json.response), 'object');
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 12 },
        age: { type: 'integer', minimum: 0, maximum: 120 },
        tags: { type: 'array', items: { enum: ['a', 'b'] }, maxItems: 3 },
      },
      required: ['name', 'age', 'tags'],
      additionalProperties: false,
    };
    const validate = new Ajv2020({ strict: false }).compile(schema);
    for (const seed of [1, 2]) {
      const answer = await ollama.chat({
        model: 'qwen3-tiny-q8_0',
        messages: [{ role: 'user', content: 'Describe someone.' }],
        format: schema,
        options: { seed, temperature: 1.0, num_predict: 900 },
      });
      assert.equal(answer.done_reason, 'stop', answer.message.content);
      const value = JSON.parse(answer.message.content);
      assert.ok(validate(value), JSON.stringify(validate.errors));
    }
  });

  it('tools reach the template; a conversation with calls and results renders', { timeout: 60_000 }, async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const messages = [{ role: 'user', content: 'Weather in Lyon?' }];
    const without = await ollama.chat({ model: 'qwen3-tiny-q8_0', messages, options: { num_predict: 1 } });
    const with_tools = await ollama.chat({ model: 'qwen3-tiny-q8_0', messages, tools, options: { num_predict: 1 } });
    assert.ok(with_tools.prompt_eval_count > without.prompt_eval_count + 20);
    const history = [
      ...messages,
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Lyon' } } }] },
      { role: 'tool', content: '11 degrees and rain', tool_name: 'get_weather' },
    ];
    const answer = await ollama.chat({ model: 'qwen3-tiny-q8_0', messages: history, tools, options: { num_predict: 4 } });
    assert.equal(answer.done, true);
    assert.ok(answer.prompt_eval_count > with_tools.prompt_eval_count);
  });

  it('images are refused clearly, with a 400 in Ollama\'s shape', async () => {
    const refused = await failure(
      ollama.chat({ model: 'tiny', messages: [{ role: 'user', content: 'What is this?', images: ['aGVsbG8='] }] }),
    );
    assert.equal(refused.status, 400);
    assert.match(refused.message, /images.*vision/);
    const raw = await server.fetch('/api/generate', { json: { model: 'tiny', prompt: 'x', images: ['aGVsbG8='] } });
    assert.equal(raw.status, 400);
    assert.match(raw.headers.get('content-type'), /application\/json/);
    const body = await raw.json();
    assert.deepEqual(Object.keys(body), ['error']);
  });

  it('errors: unknown model 404, bad options 400 naming them, bad JSON, wrong method', async () => {
    const missing = await failure(ollama.chat({ model: 'nope:7b', messages: [{ role: 'user', content: 'x' }] }));
    assert.equal(missing.status, 404);
    assert.equal(missing.message, "model 'nope:7b' not found");
    const bad = await failure(ollama.generate({ model: 'tiny', prompt: 'x', options: { temperature: 'hot' } }));
    assert.equal(bad.status, 400);
    assert.match(bad.message, /'options\.temperature'/);
    const ctx = await failure(ollama.generate({ model: 'tiny', prompt: 'x', options: { num_ctx: 8192 } }));
    assert.equal(ctx.status, 400);
    assert.match(ctx.message, /num_ctx.*1024/);
    const unknown = await failure(ollama.generate({ model: 'tiny', prompt: 'x', options: { nonsense: 1 } }));
    assert.match(unknown.message, /options\.nonsense/);
    const malformed = await server.fetch('/api/chat', { method: 'POST', body: '{"model": ', headers: { 'content-type': 'application/json' } });
    assert.equal(malformed.status, 400);
    assert.match((await malformed.json()).error, /not valid JSON/);
    const method = await server.fetch('/api/tags', { method: 'POST', body: '{}' });
    assert.equal(method.status, 405);
    assert.ok('error' in (await method.json()));
    const route = await server.fetch('/api/nothing');
    assert.equal(route.status, 404);
    assert.ok('error' in (await route.json()));
    // An embedding model cannot chat: refused before it loads.
    const embed_only = await failure(ollama.chat({ model: 'emb', messages: [{ role: 'user', content: 'x' }] }));
    assert.equal(embed_only.status, 400);
  });

  it('keep_alive: an empty prompt loads, keep_alive 0 unloads; ps shows what is resident', { timeout: 60_000 }, async () => {
    const loaded = await ollama.generate({ model: 'tiny', prompt: '', keep_alive: '10m' });
    assert.equal(loaded.done_reason, 'load');
    const ps = await ollama.ps();
    const tiny = ps.models.find((m) => m.name === 'tiny:latest');
    assert.ok(tiny, JSON.stringify(ps));
    assert.ok(tiny.size > 0);
    assert.equal(tiny.context_length, 1024);
    const expires_in_ms = Date.parse(tiny.expires_at) - Date.now();
    assert.ok(expires_in_ms > 8 * 60_000 && expires_in_ms <= 10 * 60_000 + 5_000, String(expires_in_ms));
    const unloaded = await ollama.chat({ model: 'tiny', messages: [], keep_alive: 0 });
    assert.equal(unloaded.done_reason, 'unload');
    await server.wait_for_status((status) => status.models.find((m) => m.id === 'tiny').state === 'unloaded');
    assert.ok(!(await ollama.ps()).models.some((m) => m.name === 'tiny:latest'));
  });

  it('show: capabilities, template, the header\'s facts', async () => {
    const chat = await ollama.show({ model: 'qwen3-tiny-q8_0:latest' });
    assert.deepEqual(chat.capabilities, ['completion', 'tools']);
    assert.match(chat.template, /tool_call/);
    assert.equal(chat.model_info['general.architecture'], 'llama');
    assert.ok(chat.model_info['general.parameter_count'] > 0);
    assert.equal(chat.details.format, 'gguf');
    const emb = await ollama.show({ model: 'emb' });
    assert.deepEqual(emb.capabilities, ['embedding']);
    assert.equal((await failure(ollama.show({ model: 'nope' }))).status, 404);
  });

  it('embed and the older embeddings', async () => {
    const embedded = await ollama.embed({ model: 'emb', input: ['one', 'two'] });
    assert.equal(embedded.model, 'emb');
    assert.equal(embedded.embeddings.length, 2);
    const norm = Math.hypot(...embedded.embeddings[0]);
    assert.ok(Math.abs(norm - 1) < 1e-3, String(norm));
    assert.ok(embedded.prompt_eval_count > 0);
    const close = (a, b) => a.length === b.length && a.every((value, idx) => Math.abs(value - b[idx]) < 1e-4);
    const single = await ollama.embed({ model: 'emb:latest', input: 'one' });
    assert.ok(close(single.embeddings[0], embedded.embeddings[0]));
    const legacy = await ollama.embeddings({ model: 'emb', prompt: 'one' });
    assert.ok(close(legacy.embedding, embedded.embeddings[0]));
    const shorter = await ollama.embed({ model: 'emb', input: 'one', dimensions: 8 });
    assert.equal(shorter.embeddings[0].length, 8);
    assert.equal((await failure(ollama.embed({ model: 'tiny', input: 'one' }))).status, 400);
  });

  it('pull: into the store with NDJSON progress, then served; delete removes it', { timeout: 60_000 }, async () => {
    const parts = await collect(await ollama.pull({ model: 'pulled:1', stream: true }));
    assert.equal(parts[0].status, 'pulling manifest');
    const progress = parts.filter((part) => part.completed !== undefined);
    assert.ok(progress.length >= 1);
    const size = fs.statSync(path.join(work_dir, 'nas', 'pulled-1.gguf')).size;
    assert.equal(progress.at(-1).completed, size);
    assert.equal(progress.at(-1).total, size);
    assert.equal(parts.at(-1).status, 'success');
    assert.ok((await ollama.list()).models.some((m) => m.name === 'pulled-1:latest'));
    const answer = await ollama.generate({ model: 'pulled:1', prompt: 'Hi', options: { num_predict: 2 } });
    assert.equal(answer.model, 'pulled-1');
    const listed = (await ollama.list()).models.find((m) => m.name === 'pulled-1:latest');
    assert.match(listed.digest, /^[0-9a-f]{64}$/); // the store's blob: content-addressed
    // Pulled again: already there, a success without a copy.
    assert.equal((await ollama.pull({ model: 'pulled:1' })).status, 'success');
    const missing = await failure(ollama.pull({ model: 'absent:2' }));
    assert.equal(missing.status, 404);
    const path_refused = await failure(ollama.pull({ model: '/etc/passwd' }));
    assert.equal(path_refused.status, 400);
    await ollama.delete({ model: 'pulled:1' });
    assert.ok(!(await ollama.list()).models.some((m) => m.name === 'pulled-1:latest'));
    assert.equal((await failure(ollama.delete({ model: 'pulled:1' }))).status, 404);
  });
});

describe('ollama client through a gateway', () => {
  let gateway_dir;
  let node;
  let gateway;
  let cloud;

  before(
    async () => {
      gateway_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-ollama-gateway-'));
      fs.mkdirSync(path.join(gateway_dir, 'node'));
      fs.mkdirSync(path.join(gateway_dir, 'none'));
      fs.copyFileSync(test_model_path(), path.join(gateway_dir, 'node', 'tiny.gguf'));
      run_hearth(['synth', '--shape', 'tiny-embedding', '--type', 'q8_0', '-o', path.join(gateway_dir, 'node', 'emb.gguf')]);
      node = await HearthServer.start(['--models-dir', path.join(gateway_dir, 'node'), '--ctx', '512']);
      cloud = await start_mock_openai();
      const config = path.join(gateway_dir, 'gateway.toml');
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

[[aliases]]
name = "fast"
local = "tiny"

[[aliases]]
name = "cloudy"
cloud = ["mock:gpt-mock"]

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
        await wait_until(async () => (await (await gateway.fetch('/v1/models')).json()).data.some((m) => m.id === 'tiny')),
        'the gateway never saw the node',
      );
    },
    { timeout: 90_000 },
  );

  after(async () => {
    await gateway?.stop();
    await node?.stop();
    await cloud?.close();
    if (gateway_dir) fs.rmSync(gateway_dir, { recursive: true, force: true });
  });

  it('lists, chats (whole and streamed), generates and embeds through the node', { timeout: 60_000 }, async () => {
    const via = client(gateway.base_url);
    const names = (await via.list()).models.map((m) => m.name);
    for (const name of ['tiny:latest', 'emb:latest', 'fast:latest', 'cloudy:latest']) assert.ok(names.includes(name), name);
    const messages = [{ role: 'user', content: 'Hello' }];
    const options = { seed: 4, num_predict: 6 };
    const direct = await client(node.base_url).chat({ model: 'tiny', messages, options });
    const whole = await via.chat({ model: 'tiny:latest', messages, options });
    assert.equal(whole.message.content, direct.message.content);
    const parts = await collect(await via.chat({ model: 'fast', messages, options, stream: true }));
    assert.equal(parts.map((part) => part.message.content).join(''), direct.message.content);
    const generated = await via.generate({ model: 'tiny', prompt: 'Hi', options: { num_predict: 2 } });
    assert.equal(generated.done, true);
    const raw = await gateway.fetch('/api/generate', { json: { model: 'tiny', prompt: 'Hi', stream: false, options: { num_predict: 1 } } });
    assert.equal(raw.headers.get('x-hearth-target'), 'node:n');
    const embedded = await via.embed({ model: 'emb', input: ['one'] });
    assert.equal(embedded.embeddings.length, 1);
    await wait_until(async () => (await via.ps()).models.some((m) => m.name === 'tiny:latest'));
    assert.ok((await via.ps()).models.some((m) => m.name === 'tiny:latest'));
  });

  it('errors keep Ollama\'s shape; a cloud-only model is refused, nothing leaves', async () => {
    const via = client(gateway.base_url);
    const missing = await failure(via.chat({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }));
    assert.equal(missing.status, 404);
    assert.equal(missing.message, "model 'nope' not found");
    const refused = await failure(via.chat({ model: 'cloudy', messages: [{ role: 'user', content: 'x' }] }));
    assert.equal(refused.status, 400);
    assert.match(refused.message, /Ollama's API/);
    assert.equal(cloud.requests.length, 0);
    const images = await failure(via.chat({ model: 'tiny', messages: [{ role: 'user', content: 'x', images: ['aGk='] }] }));
    assert.equal(images.status, 400);
  });
});
