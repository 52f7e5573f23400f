// The model manager from outside: models load on first use, the least recently used is evicted
// (by bytes) when the budget is full, keep_alive unloads idle models, pinned models stay, a model
// that can never fit is refused before loading with advice, a load that must wait for a busy
// model gets 503, and a prompt beyond the context is refused unless the request opts in to
// truncation. GET /hearth/v1/status shows all of it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, test_models_dir } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

const ids = ['tiny', 'tiny-b', 'tiny-c'];
const engine_flags = ['--parallel', '1', '--ctx', '256', '--threads', '1'];
let models_dir;
let planned_bytes; // every test model plans the same bytes at engine_flags

before(
  async () => {
    // Three models of one size: tiny-c is another name for tiny's file.
    models_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-manager-'));
    fs.symlinkSync(path.join(test_models_dir(), 'tiny.gguf'), path.join(models_dir, 'tiny.gguf'));
    fs.symlinkSync(path.join(test_models_dir(), 'tiny-b.gguf'), path.join(models_dir, 'tiny-b.gguf'));
    fs.symlinkSync(path.join(test_models_dir(), 'tiny.gguf'), path.join(models_dir, 'tiny-c.gguf'));
    const probe = await start(['--memory-budget', '1TiB']);
    const status = await read_status(probe);
    await probe.stop();
    planned_bytes = status.models[0].planned_bytes;
    assert.ok(planned_bytes > 0);
    for (const model of status.models) {
      assert.equal(model.planned_bytes, planned_bytes);
      assert.equal(model.state, 'unloaded');
      assert.equal(model.engine, null);
    }
  },
  { timeout: 30_000 },
);

after(() => fs.rmSync(models_dir, { recursive: true, force: true }));

function start(flags, engine = engine_flags) {
  return HearthServer.start(['--models-dir', models_dir, ...engine, ...flags]);
}

async function read_status(server) {
  const res = await server.fetch('/hearth/v1/status');
  assert.equal(res.status, 200);
  return res.json();
}

async function states(server) {
  const status = await read_status(server);
  return Object.fromEntries(status.models.map((model) => [model.id, model.state]));
}

async function chat(server, model, extra = {}) {
  return server.fetch('/v1/chat/completions', {
    json: { model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 2, ...extra },
  });
}

function model_of(status, id) {
  return status.models.find((model) => model.id === id);
}

describe('model manager', { timeout: 120_000 }, () => {
  it('loads on first use and evicts the least recently used when the budget is full', async () => {
    const server = await start(['--memory-budget', String(2 * planned_bytes + 1)]);
    try {
      assert.deepEqual(await states(server), { tiny: 'unloaded', 'tiny-b': 'unloaded', 'tiny-c': 'unloaded' });
      // Every model is listed, loaded or not.
      const listed = await (await server.fetch('/v1/models')).json();
      assert_schema('ListModelsResponse', listed);
      assert.deepEqual(listed.data.map((model) => model.id).sort(), ids);

      assert.equal((await chat(server, 'tiny')).status, 200);
      assert.equal((await chat(server, 'tiny-b')).status, 200);
      assert.deepEqual(await states(server), { tiny: 'resident', 'tiny-b': 'resident', 'tiny-c': 'unloaded' });
      assert.equal((await chat(server, 'tiny-c')).status, 200);
      assert.deepEqual(await states(server), { tiny: 'unloaded', 'tiny-b': 'resident', 'tiny-c': 'resident' });
      assert.equal((await chat(server, 'tiny')).status, 200); // reloaded; tiny-b is now the oldest
      const status = await read_status(server);
      const by_id = Object.fromEntries(status.models.map((model) => [model.id, model]));
      assert.equal(by_id.tiny.state, 'resident');
      assert.equal(by_id.tiny.loads, 2);
      assert.equal(by_id['tiny-b'].state, 'unloaded');
      assert.ok(by_id['tiny-b'].engine.generated_tokens_total > 0, 'counters survive the unload');
      assert.ok(by_id.tiny.last_used_unix_ms > Date.now() - 60_000);
      assert.ok(by_id.tiny.load_ms > 0);
      assert.equal(status.memory.budget_bytes, 2 * planned_bytes + 1);
      assert.equal(status.memory.committed_bytes, 2 * planned_bytes);
      assert.equal(status.queue.running, 0);
    } finally {
      await server.stop();
    }
  });

  it('unloads a model when its keep_alive passes, and refuses a bad keep_alive', async () => {
    const server = await start(['--memory-budget', '1TiB']);
    try {
      assert.equal((await chat(server, 'tiny', { keep_alive: '1h' })).status, 200);
      assert.equal((await chat(server, 'tiny-b', { keep_alive: 0 })).status, 200);
      await server.wait_for_status((status) => model_of(status, 'tiny-b').state === 'unloaded');
      assert.equal((await states(server)).tiny, 'resident');
      const tiny = (await read_status(server)).models.find((model) => model.id === 'tiny');
      assert.equal(tiny.keep_alive_ms, 3_600_000);

      const bad = await chat(server, 'tiny', { keep_alive: 'soon' });
      assert.equal(bad.status, 400);
      const body = await bad.json();
      assert_schema('ErrorResponse', body);
      assert.equal(body.error.param, 'keep_alive');
    } finally {
      await server.stop();
    }
  });

  it('keeps a pinned model loaded from start, whatever else is used', async () => {
    const server = await start(['--memory-budget', String(2 * planned_bytes + 1), '--pin', 'tiny']);
    try {
      assert.equal((await states(server)).tiny, 'resident');
      for (const id of ['tiny-b', 'tiny-c', 'tiny-b']) assert.equal((await chat(server, id)).status, 200);
      const tiny = (await read_status(server)).models.find((model) => model.id === 'tiny');
      assert.equal(tiny.state, 'resident');
      assert.equal(tiny.pinned, true);
      assert.equal(tiny.loads, 1);
    } finally {
      await server.stop();
    }
  });

  it('refuses a model that can never fit before loading it, saying what would', async () => {
    const server = await start(['--memory-budget', String(planned_bytes - 1)]);
    try {
      assert.ok(server.stderr_lines.some((line) => /DOES NOT FIT/.test(line)));
      const res = await chat(server, 'tiny');
      assert.equal(res.status, 400);
      const body = await res.json();
      assert_schema('ErrorResponse', body);
      assert.equal(body.error.code, 'model_too_large');
      assert.equal(body.error.param, 'model');
      assert.match(body.error.message, /needs .* budget/);
      assert.match(body.error.message, /It would fit with/);
      const tiny = (await read_status(server)).models.find((model) => model.id === 'tiny');
      assert.equal(tiny.fits_budget, false);
      assert.equal(tiny.loads, 0);
      assert.equal(tiny.state, 'unloaded');
    } finally {
      await server.stop();
    }
  });

  it('answers 503 with Retry-After when a busy model leaves no room, and loads once it is free', async () => {
    // A long context, so the stream below runs for seconds (about 1 ms a token), stopped by the
    // test once the busy answer is in: the one assumption is that 2000 tokens outlast one request.
    const long_engine = ['--parallel', '1', '--ctx', '2048', '--threads', '1'];
    const probe = await start(['--memory-budget', '1TiB'], long_engine);
    const long_planned = (await read_status(probe)).models[0].planned_bytes;
    await probe.stop();
    const server = await start(['--memory-budget', String(long_planned + 1), '--load-wait', '0'], long_engine);
    try {
      const streaming = new AbortController();
      const res = await server.fetch('/v1/completions', {
        // Greedy: a sampled stream of this random model may end early on an end-of-text token.
        json: { model: 'tiny', prompt: 'Once upon a time', max_tokens: 2000, stream: true, temperature: 0 },
        signal: streaming.signal,
      });
      if (res.status !== 200) assert.fail(`stream: ${res.status} ${await res.text()}`);
      const reader = res.body.getReader();
      await reader.read(); // generation is under way: tiny is in use
      const busy = await chat(server, 'tiny-b');
      assert.equal(busy.status, 503);
      assert.equal(busy.headers.get('retry-after'), '5');
      const body = await busy.json();
      assert_schema('ErrorResponse', body);
      assert.equal(body.error.code, 'model_busy');
      assert.match(body.error.message, /'tiny'.*in use/);
      streaming.abort();
      await reader.cancel().catch(() => {});
      // Once the server has seen the client go, tiny is idle and may be evicted.
      await server.wait_for_status((status) => model_of(status, 'tiny').in_use === 0);
      assert.equal((await chat(server, 'tiny-b')).status, 200);
      assert.equal((await states(server))['tiny-b'], 'resident');
    } finally {
      await server.stop();
    }
  });

  it('refuses a prompt beyond the context unless the request opts in to truncation', async () => {
    const server = await start(['--memory-budget', '1TiB']);
    try {
      const long_text = 'the quick brown fox jumps over the lazy dog '.repeat(40);
      const refused = await server.fetch('/v1/completions', {
        json: { model: 'tiny', prompt: long_text, max_tokens: 8 },
      });
      assert.equal(refused.status, 400);
      assert.equal((await refused.json()).error.code, 'context_length_exceeded');

      const cut = await server.fetch('/v1/completions', {
        json: { model: 'tiny', prompt: long_text, max_tokens: 8, truncate: true },
      });
      assert.equal(cut.status, 200);
      const removed = Number(cut.headers.get('x-hearth-truncated-tokens'));
      assert.ok(removed > 0);
      const body = await cut.json();
      assert_schema('CreateCompletionResponse', body);
      assert.equal(body.usage.prompt_tokens, 256 - 8);

      const messages = [{ role: 'system', content: 'Be brief.' }];
      for (let turn = 0; turn < 12; turn++) {
        messages.push({ role: 'user', content: `question ${turn}: ${long_text.slice(0, 120)}` });
        messages.push({ role: 'assistant', content: `answer ${turn}: ${long_text.slice(0, 120)}` });
      }
      messages.push({ role: 'user', content: 'and finally?' });
      const chat_refused = await chat(server, 'tiny', { messages, max_tokens: 8 });
      assert.equal(chat_refused.status, 400);
      const chat_cut = await chat(server, 'tiny', { messages, max_tokens: 8, truncate: true });
      assert.equal(chat_cut.status, 200);
      assert.ok(Number(chat_cut.headers.get('x-hearth-truncated-messages')) > 0);
      const chat_body = await chat_cut.json();
      assert_schema('CreateChatCompletionResponse', chat_body);
      assert.ok(chat_body.usage.prompt_tokens <= 256 - 8);
    } finally {
      await server.stop();
    }
  });
});
