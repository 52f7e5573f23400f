// /v1/audio/speech and /v1/ocr through a gateway: routed by model to the node whose built-in
// models serve them, by alias to a cloud provider for public data, and never to the cloud for
// internal or confidential data (fails closed, nothing reaches the mock provider); the body is
// checked before it is routed anywhere.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, wait_until } from './hearth_server.mjs';
import { start_mock_openai } from './mock_openai.mjs';

let work_dir;
let cloud;
let node;
let gateway;

// One PDF page with one line of Helvetica (offsets computed).
function one_line_pdf(line) {
  const content = `BT /F1 18 Tf 36 300 Td (${line}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 400] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((object, idx) => {
    offsets.push(out.length);
    out += `${idx + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const pdf_base64 = one_line_pdf('Confidential figures stay home').toString('base64');

function speak(server, model, headers = {}, extra = {}) {
  return server.fetch('/v1/audio/speech', { json: { model, voice: 'alloy', input: 'Hello there.', ...extra }, headers });
}

function ocr(server, model, headers = {}) {
  return server.fetch('/v1/ocr', {
    json: { model, document: { type: 'document_url', document_url: pdf_base64 } },
    headers,
  });
}

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-gateway-media-'));
    fs.mkdirSync(path.join(work_dir, 'node'));
    fs.mkdirSync(path.join(work_dir, 'none'));
    cloud = await start_mock_openai();
    node = await HearthServer.start(['--models-dir', path.join(work_dir, 'node')], { builtin_models: true });
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
input_usd_per_mtok = "0"
output_usd_per_mtok = "0"

[[aliases]]
name = "tts-cloud"
cloud = ["mock:tts-1"]

[[aliases]]
name = "ocr-cloud"
cloud = ["mock:mistral-ocr-latest"]

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
      await wait_until(async () => {
        const ids = (await (await gateway.fetch('/v1/models')).json()).data.map((m) => m.id);
        return ids.includes('espeak-ng') && ids.includes('tesseract-eng');
      }),
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

describe('speech and OCR through a gateway', { timeout: 90_000 }, () => {
  it('routes a confidential request to the node that serves the built-in model', async () => {
    const before_count = cloud.requests.length;
    const spoken = await speak(gateway, 'espeak-ng', { 'X-Hearth-Data-Class': 'confidential' });
    assert.equal(spoken.status, 200);
    assert.equal(spoken.headers.get('x-hearth-target'), 'node:n');
    assert.equal(spoken.headers.get('content-type'), 'audio/mpeg');
    assert.ok((await spoken.arrayBuffer()).byteLength > 1000);
    const read = await ocr(gateway, 'tesseract-eng', { 'X-Hearth-Data-Class': 'confidential' });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('x-hearth-target'), 'node:n');
    const body = await read.json();
    assert.match(body.pages[0].markdown, /Confidential figures stay home/);
    assert.equal(cloud.requests.length, before_count, 'nothing left the shop');
  });

  it('sends public data for a cloud alias to the provider, and keeps internal and confidential data in', async () => {
    const before_count = cloud.requests.length;
    const spoken = await speak(gateway, 'tts-cloud');
    assert.equal(spoken.status, 200);
    assert.equal(spoken.headers.get('x-hearth-target'), 'mock');
    assert.equal(Buffer.from(await spoken.arrayBuffer()).toString(), 'mock audio from the cloud');
    assert.equal(cloud.requests.at(-1).path, '/v1/audio/speech');
    assert.equal(cloud.requests.at(-1).body.model, 'tts-1');
    const read = await ocr(gateway, 'ocr-cloud');
    assert.equal(read.status, 200);
    assert.equal(cloud.requests.at(-1).path, '/v1/ocr');
    assert.equal(cloud.requests.at(-1).body.model, 'mistral-ocr-latest');
    assert.equal(cloud.requests.length, before_count + 2);
    for (const data_class of ['internal', 'confidential']) {
      const kept_speech = await speak(gateway, 'tts-cloud', { 'X-Hearth-Data-Class': data_class });
      assert.equal(kept_speech.status, 503);
      assert.equal((await kept_speech.json()).error.code, 'no_allowed_target');
      const kept_document = await ocr(gateway, 'ocr-cloud', { 'X-Hearth-Data-Class': data_class });
      assert.equal(kept_document.status, 503);
      assert.equal((await kept_document.json()).error.code, 'no_allowed_target');
    }
    assert.equal(cloud.requests.length, before_count + 2, 'nothing more left the shop');
  });

  it('checks the request as a node would before routing it anywhere', async () => {
    const before_count = cloud.requests.length;
    const fast = await speak(gateway, 'tts-cloud', {}, { speed: 9 });
    assert.equal(fast.status, 400);
    assert.equal((await fast.json()).error.param, 'speed');
    const garbled = await gateway.fetch('/v1/ocr', {
      json: { model: 'ocr-cloud', document: { type: 'document_url', document_url: 'data:application/pdf;base64,%%%' } },
    });
    assert.equal(garbled.status, 400);
    assert.equal((await garbled.json()).error.param, 'document.document_url');
    assert.equal(cloud.requests.length, before_count);
  });
});
