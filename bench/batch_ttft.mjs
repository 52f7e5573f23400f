// Interactive time to first token while a batch job runs: one node, a model, N sequential streamed
// chats measured idle, then the same N while a batch of long lines runs at batch priority (the
// batch must still be running when the last one is measured, else the run says so and fails),
// then, as a control, while the same load runs as interactive requests (no priority).
// Prints one JSON summary: TTFT p50/p90/max in ms for each phase, and the batch's lines/s.
//
//   node bench/batch_ttft.mjs                               # smollm-135m q8_0 (synthesized)
//   BENCH_SHAPE=tiny BENCH_N=40 BENCH_LINES=600 node bench/batch_ttft.mjs
//
// Needs tests/api's npm packages. Numbers go to docs/benchmarks.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HearthServer, run_hearth } from '../tests/api/hearth_server.mjs';

const shape = process.env.BENCH_SHAPE ?? 'smollm-135m';
const n_chats = Number(process.env.BENCH_N ?? 20);
const n_lines = Number(process.env.BENCH_LINES ?? 400);
const batch_parallel = Number(process.env.BENCH_BATCH_PARALLEL ?? 8);
const line_tokens = Number(process.env.BENCH_LINE_TOKENS ?? 64);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-batch-ttft-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const model_file = path.join(dir, 'm.gguf');
run_hearth(['synth', '--shape', shape, '--type', 'q8_0', '-o', model_file]);
const server = await HearthServer.start([
  '--model',
  model_file,
  '--state-dir',
  path.join(dir, 'state'),
  '--batch-parallel',
  String(batch_parallel),
  '--ctx',
  '512',
]);
const client = server.openai({ timeout_ms: 600_000 });

async function ttft_ms(idx) {
  const start = performance.now();
  const stream = await client.chat.completions.create({
    model: 'm',
    messages: [{ role: 'user', content: `question number ${idx}: what is the answer?` }],
    max_tokens: 4,
    seed: idx,
    stream: true,
  });
  let first = null;
  for await (const chunk of stream) {
    if (first === null && chunk.choices?.[0]?.delta?.content) first = performance.now() - start;
  }
  return first ?? performance.now() - start;
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50_ms: +at(0.5).toFixed(1), p90_ms: +at(0.9).toFixed(1), max_ms: +sorted.at(-1).toFixed(1) };
}

await ttft_ms(-1); // loads the model
const idle = [];
for (let idx = 0; idx < n_chats; ++idx) idle.push(await ttft_ms(idx));

const lines = Array.from({ length: n_lines }, (_, idx) =>
  JSON.stringify({
    custom_id: `l${idx}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'm', messages: [{ role: 'user', content: `write about item ${idx}` }], max_tokens: line_tokens, seed: idx },
  }),
).join('\n');
const form = new FormData();
form.append('purpose', 'batch');
form.append('file', new Blob([lines]), 'in.jsonl');
const file = await (await server.fetch('/v1/files', { method: 'POST', body: form })).json();
const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
// Measure once lines are running.
for (;;) {
  const now = await client.batches.retrieve(batch.id);
  if (now.request_counts.completed > 0) break;
}
const t_batch_start = performance.now();
const first_counts = (await client.batches.retrieve(batch.id)).request_counts.completed;
const busy = [];
for (let idx = 0; idx < n_chats; ++idx) busy.push(await ttft_ms(1000 + idx));
const end = await client.batches.retrieve(batch.id);
const lines_per_s = ((end.request_counts.completed - first_counts) * 1000) / (performance.now() - t_batch_start);
await client.batches.cancel(batch.id);
for (;;) {
  if ((await client.batches.retrieve(batch.id)).status === 'cancelled') break;
}

// Control: the same load as interactive requests (batch_parallel clients in a loop), no priority.
let stop = false;
const background = Array.from({ length: batch_parallel }, async (_, worker) => {
  for (let round = 0; !stop; ++round) {
    await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: `write about item ${worker * 1000 + round}` }],
      max_tokens: line_tokens,
      seed: round,
    });
  }
});
const control = [];
for (let idx = 0; idx < n_chats; ++idx) control.push(await ttft_ms(2000 + idx));
stop = true;
await Promise.all(background);
await server.stop();
const still_running = end.status === 'in_progress';
console.log(
  JSON.stringify(
    {
      shape,
      n_chats,
      batch_parallel,
      line_tokens,
      idle: summary(idle),
      during_batch: summary(busy),
      during_same_load_interactive: summary(control),
      batch_lines_per_s: +lines_per_s.toFixed(2),
      batch_running_throughout: still_running,
      batch_lines_done_when_measured: end.request_counts.completed,
    },
    null,
    2,
  ),
);
if (!still_running) {
  console.error('the batch finished before the measurement did: raise BENCH_LINES');
  process.exit(1);
}
