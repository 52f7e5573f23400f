// The Files and Batches APIs through the official openai SDK: uploads (multipart/form-data),
// list/retrieve/content/delete, batches of chat completions, text completions and embeddings run
// to completion with output and error files in OpenAI's batch output format, a malformed input
// file failing the batch with its errors, cancel while the batch window is closed, and the
// upload limit. Every object is validated against OpenAI's schemas; every wait polls what the
// server shows (request_counts, status).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toFile } from 'openai';
import { HearthServer, run_hearth, test_model_path, wait_until } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

let dir;
let server;
let client;
const embed_model = 'tiny-embedding';

const jsonl = (lines) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n';

function chat_line(custom_id, content, extra = {}) {
  return {
    custom_id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'tiny', messages: [{ role: 'user', content }], max_tokens: 6, seed: 7, ...extra },
  };
}

async function upload(text, name = 'in.jsonl', c = client) {
  const file = await c.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'batch' });
  assert_schema('OpenAIFile', file);
  return file;
}

async function run_batch(input_file_id, endpoint, c = client) {
  const created = await c.batches.create({ input_file_id, endpoint, completion_window: '24h' });
  assert_schema('Batch', created);
  let batch = created;
  assert.ok(
    await wait_until(async () => {
      batch = await c.batches.retrieve(created.id);
      return ['completed', 'failed', 'cancelled', 'expired'].includes(batch.status);
    }),
    `batch never finished: ${JSON.stringify(batch)}`,
  );
  assert_schema('Batch', batch);
  return batch;
}

async function lines_of(file_id, c = client) {
  const text = await (await c.files.content(file_id)).text();
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

before(
  async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-batch-'));
    const embed_file = path.join(dir, `${embed_model}.gguf`);
    run_hearth(['synth', '--shape', 'tiny-embedding', '--type', 'q8_0', '-o', embed_file]);
    server = await HearthServer.start([
      '--model',
      test_model_path(),
      '--model',
      embed_file,
      '--ctx',
      '256',
      '--max-upload-bytes',
      '8192',
      '--state-dir',
      path.join(dir, 'state'),
    ]);
    client = server.openai();
  },
  { timeout: 60_000 },
);

after(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('files', { timeout: 60_000 }, () => {
  it('uploads, lists, retrieves, returns the bytes and deletes', async () => {
    const text = jsonl([chat_line('a', 'hello')]);
    const file = await upload(text, 'my input.jsonl');
    assert.equal(file.object, 'file');
    assert.equal(file.purpose, 'batch');
    assert.equal(file.filename, 'my input.jsonl');
    assert.equal(file.bytes, Buffer.byteLength(text));
    const listed = await client.files.list();
    assert.ok(listed.data.some((one) => one.id === file.id));
    const raw_list = await (await server.fetch('/v1/files?purpose=batch&limit=1')).json();
    assert_schema('ListFilesResponse', raw_list);
    assert.equal(raw_list.data.length, 1);
    const got = await client.files.retrieve(file.id);
    assert.deepEqual(got, file);
    assert.equal(await (await client.files.content(file.id)).text(), text);
    const deleted = await client.files.delete(file.id);
    assert_schema('DeleteFileResponse', deleted);
    assert.deepEqual(deleted, { id: file.id, object: 'file', deleted: true });
    await assert.rejects(client.files.retrieve(file.id), (error) => error.status === 404);
  });

  it('refuses bad forms, purposes and bodies over the upload limit, naming the field', async () => {
    const bad_purpose = await server.fetch('/v1/files', {
      method: 'POST',
      body: (() => {
        const form = new FormData();
        form.append('purpose', 'fine-tune');
        form.append('file', new Blob(['{}\n']), 'x.jsonl');
        return form;
      })(),
    });
    assert.equal(bad_purpose.status, 400);
    const bad_body = await bad_purpose.json();
    assert_schema('ErrorResponse', bad_body);
    assert.equal(bad_body.error.param, 'purpose');

    const no_file = await server.fetch('/v1/files', {
      method: 'POST',
      body: (() => {
        const form = new FormData();
        form.append('purpose', 'batch');
        return form;
      })(),
    });
    assert.equal(no_file.status, 400);
    assert.equal((await no_file.json()).error.param, 'file');

    const malformed = await server.fetch('/v1/files', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=zz' },
      body: '--zz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch',
    });
    assert.equal(malformed.status, 400);
    assert.match((await malformed.json()).error.message, /closing boundary/);

    const not_multipart = await server.fetch('/v1/files', { json: { purpose: 'batch' } });
    assert.equal(not_multipart.status, 400);

    await assert.rejects(
      client.files.create({ file: await toFile(Buffer.alloc(12_000, 'x'), 'big.jsonl'), purpose: 'batch' }),
      (error) => error.status === 413,
    );
    const unknown = await server.fetch('/v1/files/file-doesnotexist');
    assert.equal(unknown.status, 404);
  });
});

describe('batches', { timeout: 120_000 }, () => {
  it('runs chat lines into an output file and failing lines into an error file', async () => {
    const input = await upload(
      jsonl([
        chat_line('first', 'one'),
        chat_line('bad', 'two', { temperature: 5 }),
        chat_line('third', 'three'),
      ]),
    );
    const batch = await run_batch(input.id, '/v1/chat/completions');
    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.request_counts, { total: 3, completed: 2, failed: 1 });
    assert.equal(batch.model, 'tiny');
    assert.ok(batch.usage.output_tokens > 0);
    for (const key of ['in_progress_at', 'finalizing_at', 'completed_at']) assert.equal(typeof batch[key], 'number');
    const output = await lines_of(batch.output_file_id);
    assert.deepEqual(
      output.map((line) => line.custom_id),
      ['first', 'third'],
    );
    for (const line of output) {
      assert.equal(line.response.status_code, 200);
      assert.equal(line.error, null);
      assert.match(line.id, /^batch_req_/);
      assert_schema('CreateChatCompletionResponse', line.response.body);
      assert.equal(line.response.request_id, line.response.body.id);
    }
    const errors = await lines_of(batch.error_file_id);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].custom_id, 'bad');
    assert.equal(errors[0].response.status_code, 400);
    assert_schema('ErrorResponse', errors[0].response.body);
    assert.equal(errors[0].response.body.error.param, 'temperature');

    // A seeded line gives what the same request gives interactively.
    const direct = await client.chat.completions.create(chat_line('x', 'one').body);
    assert.equal(output[0].response.body.choices[0].message.content, direct.choices[0].message.content);

    const out_file = await client.files.retrieve(batch.output_file_id);
    assert.equal(out_file.purpose, 'batch_output');
    const listed = await (await server.fetch('/v1/batches?limit=100')).json();
    assert_schema('ListBatchesResponse', listed);
    assert.ok(listed.data.some((one) => one.id === batch.id));
    const page = await client.batches.list({ limit: 1 });
    assert.equal(page.data.length, 1);
  });

  it('runs text completions and embeddings', async () => {
    const completions = await upload(
      jsonl(
        ['a', 'b'].map((id) => ({
          custom_id: id,
          method: 'POST',
          url: '/v1/completions',
          body: { model: 'tiny', prompt: `say ${id}`, max_tokens: 4, seed: 1 },
        })),
      ),
    );
    const done = await run_batch(completions.id, '/v1/completions');
    assert.deepEqual(done.request_counts, { total: 2, completed: 2, failed: 0 });
    for (const line of await lines_of(done.output_file_id)) assert_schema('CreateCompletionResponse', line.response.body);

    const embeddings = await upload(
      jsonl(
        ['x', 'y', 'z'].map((id) => ({
          custom_id: id,
          method: 'POST',
          url: '/v1/embeddings',
          body: { model: embed_model, input: [`text ${id}`, 'more'] },
        })),
      ),
    );
    const embedded = await run_batch(embeddings.id, '/v1/embeddings');
    assert.deepEqual(embedded.request_counts, { total: 3, completed: 3, failed: 0 });
    const lines = await lines_of(embedded.output_file_id);
    assert.deepEqual(
      lines.map((line) => line.custom_id),
      ['x', 'y', 'z'],
    );
    for (const line of lines) {
      assert_schema('CreateEmbeddingResponse', line.response.body);
      assert.equal(line.response.body.data.length, 2);
    }
  });

  it('fails a batch whose input file is malformed, with the errors by line', async () => {
    const input = await upload(
      [
        JSON.stringify(chat_line('ok', 'fine')),
        'not json',
        JSON.stringify({ ...chat_line('ok', 'again') }),
        JSON.stringify({ ...chat_line('wrong-url', 'x'), url: '/v1/embeddings' }),
      ].join('\n'),
    );
    const batch = await client.batches.create({
      input_file_id: input.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    assert_schema('Batch', batch);
    assert.equal(batch.status, 'failed');
    assert.equal(typeof batch.failed_at, 'number');
    assert.deepEqual(
      batch.errors.data.map((error) => [error.line, error.code]),
      [
        [2, 'invalid_json_line'],
        [3, 'duplicate_custom_id'],
        [4, 'mismatched_endpoint'],
      ],
    );
    await assert.rejects(
      client.batches.create({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' }),
      (error) => error.status === 404,
    );
    await assert.rejects(
      client.batches.create({ input_file_id: input.id, endpoint: '/v1/moderations', completion_window: '24h' }),
      (error) => error.status === 400 && error.param === 'endpoint',
    );
    const unknown_key = await server.fetch('/v1/batches', {
      json: { input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h', extra: 1 },
    });
    assert.equal(unknown_key.status, 400);
    assert.equal((await unknown_key.json()).error.param, 'extra');
    await assert.rejects(client.batches.retrieve('batch_nope'), (error) => error.status === 404);
  });

  it('waits for its window, and cancels with nothing run', async () => {
    // A job window that is closed now: the hour that starts twelve hours from now, in local time.
    const now = new Date();
    const start = (now.getHours() + 12) % 24;
    const pad = (hours) => `${String(hours).padStart(2, '0')}:00`;
    const window = `${pad(start)}-${pad((start + 1) % 24)}`;
    const input = await upload(jsonl([chat_line('w1', 'later'), chat_line('w2', 'later')]));
    const batch = await client.batches.create({
      input_file_id: input.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { hearth_window: window, note: 'overnight' },
    });
    assert.equal(batch.status, 'in_progress');
    assert.deepEqual(batch.metadata, { hearth_window: window, note: 'overnight' });
    const cancelling = await client.batches.cancel(batch.id);
    assert_schema('Batch', cancelling);
    assert.ok(['cancelling', 'cancelled'].includes(cancelling.status));
    let final = cancelling;
    assert.ok(
      await wait_until(async () => {
        final = await client.batches.retrieve(batch.id);
        return final.status === 'cancelled';
      }),
    );
    assert.deepEqual(final.request_counts, { total: 2, completed: 0, failed: 0 });
    assert.equal(final.output_file_id, undefined);
    const bad_window = await server.fetch('/v1/batches', {
      json: {
        input_file_id: input.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { hearth_window: '25:00-26:00' },
      },
    });
    assert.equal(bad_window.status, 400);
    assert.equal((await bad_window.json()).error.param, 'metadata.hearth_window');
  });
});

describe('keys', { timeout: 60_000 }, () => {
  let keyed;
  let keyed_dir;
  after(async () => {
    await keyed?.stop();
    if (keyed_dir) fs.rmSync(keyed_dir, { recursive: true, force: true });
  });

  it("keeps each key's files and batches to itself", async () => {
    keyed_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-batch-keys-'));
    const state = path.join(keyed_dir, 'state');
    const secret = (name, data_class) =>
      run_hearth(['keys', 'create', '--state-dir', state, '--name', name, '--class', data_class])
        .split('\n')
        .find((line) => /^hk-[A-Za-z0-9]{40}$/.test(line));
    const alice_secret = secret('alice', 'confidential');
    const bob_secret = secret('bob', 'public');
    keyed = await HearthServer.start(['--model', test_model_path(), '--state-dir', state, '--require-keys']);
    const as = (key) => new (client.constructor)({ baseURL: `${keyed.base_url}/v1`, apiKey: key, maxRetries: 0 });
    const alice = as(alice_secret);
    const bob = as(bob_secret);

    const file = await upload(jsonl([chat_line('secret', 'confidential text')]), 'in.jsonl', alice);
    const batch = await run_batch(file.id, '/v1/chat/completions', alice);
    assert.equal(batch.status, 'completed');
    assert.ok((await lines_of(batch.output_file_id, alice)).length === 1);

    for (const id of [file.id, batch.output_file_id]) {
      await assert.rejects(bob.files.retrieve(id), (error) => error.status === 404);
      await assert.rejects(bob.files.content(id), (error) => error.status === 404);
      await assert.rejects(bob.files.delete(id), (error) => error.status === 404);
    }
    await assert.rejects(bob.batches.retrieve(batch.id), (error) => error.status === 404);
    await assert.rejects(bob.batches.cancel(batch.id), (error) => error.status === 404);
    await assert.rejects(
      bob.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
      (error) => error.status === 404,
    );
    assert.equal((await bob.files.list()).data.length, 0);
    assert.equal((await bob.batches.list()).data.length, 0);
    assert.equal((await alice.batches.list()).data.length, 1);
    await assert.rejects(as('not-a-key').files.list(), (error) => error.status === 401);
  });
});
