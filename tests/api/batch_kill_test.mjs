// Durability of the batch queue: a 500-line seeded chat batch runs once undisturbed, then again on
// a server killed with SIGKILL at 20 random points of its progress and restarted on the same
// state directory each time. The output file of the killed run has every custom_id exactly once,
// and every answer equals the undisturbed run's. Kill points are chosen by progress the server
// shows (request_counts.completed), never by time.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { toFile } from 'openai';
import { HearthServer, test_model_path, wait_until } from './hearth_server.mjs';

const n_lines = 500;
const n_kills = 20;
let dir;
const servers = [];

after(async () => {
  for (const server of servers) await server.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// A small seeded generator, so a failing run can be repeated (HEARTH_KILL_SEED).
function rng(seed) {
  let state = BigInt(seed) || 1n;
  return () => {
    state ^= state << 13n;
    state &= 0xffffffffffffffffn;
    state ^= state >> 7n;
    state ^= state << 17n;
    state &= 0xffffffffffffffffn;
    return Number(state % 1000000n) / 1000000;
  };
}

const input_text =
  Array.from({ length: n_lines }, (_, idx) =>
    JSON.stringify({
      custom_id: `line-${idx}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'tiny', messages: [{ role: 'user', content: `item ${idx}` }], max_tokens: 6, seed: idx },
    }),
  ).join('\n') + '\n';

async function start(state_dir) {
  const server = await HearthServer.start([
    '--model',
    test_model_path(),
    '--state-dir',
    state_dir,
    '--batch-parallel',
    '4',
  ]);
  servers.push(server);
  return server;
}

async function create_batch(server) {
  const client = server.openai();
  const file = await client.files.create({ file: await toFile(Buffer.from(input_text), 'in.jsonl'), purpose: 'batch' });
  const batch = await client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  return batch.id;
}

async function retrieve(server, id) {
  return (await server.fetch(`/v1/batches/${id}`)).json();
}

async function wait_completed(server, id) {
  let batch;
  assert.ok(
    await wait_until(async () => {
      batch = await retrieve(server, id);
      return batch.status === 'completed';
    }, 120_000),
    `never completed: ${JSON.stringify(batch)}`,
  );
  return batch;
}

// custom_id -> [content, finish_reason, completion_tokens]; asserts each id appears once.
async function answers(server, batch) {
  assert.deepEqual(batch.request_counts, { total: n_lines, completed: n_lines, failed: 0 });
  assert.equal(batch.error_file_id, undefined);
  const text = await (await server.fetch(`/v1/files/${batch.output_file_id}/content`)).text();
  const lines = text.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, n_lines);
  const by_id = new Map();
  for (const line of lines) {
    const parsed = JSON.parse(line);
    assert.ok(!by_id.has(parsed.custom_id), `${parsed.custom_id} twice`);
    const body = parsed.response.body;
    by_id.set(parsed.custom_id, [body.choices[0].message.content, body.choices[0].finish_reason, body.usage.completion_tokens]);
  }
  for (let idx = 0; idx < n_lines; ++idx) assert.ok(by_id.has(`line-${idx}`), `line-${idx} missing`);
  return by_id;
}

describe('batch durability', { timeout: 170_000 }, () => {
  it('gives the same output after 20 SIGKILLs as without', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-batch-kill-'));
    const seed = Number(process.env.HEARTH_KILL_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);

    const calm_server = await start(path.join(dir, 'calm'));
    const calm_id = await create_batch(calm_server);
    const calm = await answers(calm_server, await wait_completed(calm_server, calm_id));
    await calm_server.stop();

    const state_dir = path.join(dir, 'killed');
    let server = await start(state_dir);
    const id = await create_batch(server);
    let last_completed = 0;
    const kill_points = [];
    for (let kill = 0; kill < n_kills; ++kill) {
      // The next kill point: a few more lines committed than at the last restart (1 to 12), so all
      // 20 land inside the 500 lines.
      const target = last_completed + 1 + Math.floor(random() * 12);
      let batch;
      for (;;) {
        batch = await retrieve(server, id);
        if (batch.request_counts.completed >= target || batch.status !== 'in_progress') break;
      }
      assert.equal(batch.status, 'in_progress', `seed ${seed}: the batch ended before kill ${kill + 1}`);
      server.signal('SIGKILL');
      assert.equal((await server.exited).signal, 'SIGKILL');
      kill_points.push(batch.request_counts.completed);
      server = await start(state_dir);
      const after_restart = await retrieve(server, id);
      // Committed lines survive the kill; none is lost.
      assert.ok(after_restart.request_counts.completed >= batch.request_counts.completed, `seed ${seed}`);
      last_completed = after_restart.request_counts.completed;
    }
    const killed = await answers(server, await wait_completed(server, id));
    assert.equal(kill_points.length, n_kills);
    for (const [custom_id, answer] of calm) {
      assert.deepEqual(killed.get(custom_id), answer, `seed ${seed}, ${custom_id} differs (kills at ${kill_points})`);
    }
  });
});
