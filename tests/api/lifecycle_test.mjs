// The server process from outside: exactly one stdout line (the listening line), graceful shutdown
// on SIGTERM while a stream runs and on SIGINT when idle (exit code 0, the stream either completed
// or ended with an error, never hung), and a clean refusal to start on a bad model file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { HearthServer, hearth_bin, only_model_id, test_model_path } from './hearth_server.mjs';

const servers = [];
after(() => Promise.all(servers.map((server) => server.stop())));

async function start(args) {
  const server = await HearthServer.start(['--model', test_model_path(), ...args]);
  servers.push(server);
  return server;
}

// Resolves to how the process ended, or rejects if it is still running after timeout_ms.
function exit_within(server, timeout_ms) {
  let timer;
  return Promise.race([
    server.exited,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`still running ${timeout_ms} ms after the signal`)), timeout_ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('server lifecycle', { timeout: 40_000 }, () => {
  it('drains a running stream on SIGTERM and exits 0', async () => {
    const server = await start(['--parallel', '2', '--ctx', '2048', '--drain-timeout-ms', '10000']);
    const client = server.openai();
    const model = await only_model_id(client);
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Write a long essay.' }],
      max_tokens: 1800,
      temperature: 0,
      stream: true,
    });
    let n_chunks = 0;
    let finish_reason = null;
    let stream_error = null;
    try {
      for await (const chunk of stream) {
        if (n_chunks++ === 0) server.signal('SIGTERM'); // mid-stream
        finish_reason = chunk.choices[0]?.finish_reason ?? finish_reason;
      }
    } catch (error) {
      stream_error = error;
    }
    const { code, signal } = await exit_within(server, 20_000);
    assert.equal(signal, null, `killed by ${signal}`);
    assert.equal(code, 0);
    // Either outcome is graceful (finished within the drain, by length or by the model's end of
    // text, or cut with an error); what must not happen is a stream that ends as if complete
    // without a finish_reason.
    assert.ok(
      finish_reason !== null || stream_error !== null,
      `stream ended without finish_reason or error after ${n_chunks} chunks`,
    );
    assert.deepEqual(server.stdout_lines.length, 1, `stdout: ${JSON.stringify(server.stdout_lines)}`);
  });

  it('exits 0 on SIGINT when idle, after serving', async () => {
    const server = await start(['--parallel', '1']);
    assert.equal((await server.fetch('/health')).status, 200);
    server.signal('SIGINT');
    const { code, signal } = await exit_within(server, 15_000);
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.equal(server.stdout_lines.length, 1);
  });

  it('refuses to start on a missing or corrupt model, without a listening line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-api-bad-'));
    try {
      const corrupt = path.join(dir, 'corrupt.gguf');
      fs.writeFileSync(corrupt, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60, 0xff)]));
      for (const model of [path.join(dir, 'missing.gguf'), corrupt]) {
        const result = spawnSync(hearth_bin, ['serve', '--model', model, '--port', '0'], {
          encoding: 'utf8',
          timeout: 15_000,
        });
        assert.equal(result.error, undefined, String(result.error));
        assert.notEqual(result.status, 0, `${model}: exit status ${result.status}`);
        assert.doesNotMatch(result.stdout, /listening/);
        assert.ok(result.stderr.length > 0, 'no error message');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
