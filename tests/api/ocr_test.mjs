// POST /v1/ocr (Mistral's OCR API) with the built-in tesseract-eng model: a two-page PDF the test
// writes by hand (a data: URL and bare base64), the same page as a PNG (pdftoppm from Debian's
// poppler-utils) as an image_url, the pages asked for, the response's shape, and hostile or wrong
// input refused with a 400 naming the field. Fails, never skips, without tesseract or pdftoppm.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { HearthServer, test_model_path } from './hearth_server.mjs';

let server;
let dir;
const model = 'tesseract-eng';
const lines = [
  ['The invoice number is 4711 and the total is 129.50 euros.', 'Payment is due within thirty days of delivery.'],
  ['Second page: the quick brown fox jumps over the lazy dog.', 'Hearth reads documents without the cloud.'],
];

// A PDF of one A5 page per entry of `pages` (lines of Helvetica 14), offsets computed.
function make_pdf(pages) {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>'];
  const kids = pages.map((_, idx) => `${3 + idx * 2} 0 R`).join(' ');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`);
  const font = 3 + pages.length * 2;
  pages.forEach((page_lines, idx) => {
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Contents ${4 + idx * 2} 0 R ` +
        `/Resources << /Font << /F1 ${font} 0 R >> >> >>`,
    );
    const text = page_lines
      .map((line, line_idx) => `BT /F1 14 Tf 36 ${540 - line_idx * 24} Td (${line}) Tj ET`)
      .join('\n');
    objects.push(`<< /Length ${text.length} >>\nstream\n${text}\nendstream`);
  });
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
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

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function png_chunk(type, data) {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

// A PNG whose header claims width x height (a decompression bomb if it were inflated).
function bomb_png(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    png_chunk('IHDR', ihdr),
    png_chunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))),
    png_chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Words compared without case or punctuation: tesseract's reading of the lines we wrote.
function words(text) {
  return text.toLowerCase().replace(/[^a-z0-9 ]+/g, ' ').split(/\s+/).filter(Boolean);
}

async function ocr(body) {
  const res = await server.fetch('/v1/ocr', { method: 'POST', json: body });
  return { status: res.status, body: await res.json() };
}

let pdf;
let png;

before(
  async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-ocr-'));
    pdf = make_pdf(lines);
    fs.writeFileSync(path.join(dir, 'doc.pdf'), pdf);
    execFileSync('pdftoppm', ['-png', '-r', '150', '-f', '1', '-l', '1', '-singlefile', 'doc.pdf', 'page'], { cwd: dir });
    png = fs.readFileSync(path.join(dir, 'page.png'));
    server = await HearthServer.start(['--model', test_model_path(), '--max-body-bytes', String(8 << 20)], {
      builtin_models: true,
    });
  },
  { timeout: 60_000 },
);

after(() => {
  server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('ocr', { timeout: 120_000 }, () => {
  it('lists tesseract-eng as a model that reads documents', async () => {
    const listed = await server.openai().models.list();
    const entry = listed.data.find((m) => m.id === model);
    assert.ok(entry, JSON.stringify(listed.data));
    assert.deepEqual(entry.capabilities, ['ocr']);
  });

  it('reads every page of a PDF sent as a data: URL, in Mistral\'s shape', async () => {
    const { status, body } = await ocr({
      model,
      document: { type: 'document_url', document_url: `data:application/pdf;base64,${pdf.toString('base64')}` },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body).sort(), ['document_annotation', 'model', 'pages', 'usage_info']);
    assert.equal(body.model, model);
    assert.deepEqual(body.usage_info, { pages_processed: 2, doc_size_bytes: pdf.length });
    assert.equal(body.pages.length, 2);
    body.pages.forEach((page, idx) => {
      assert.equal(page.index, idx);
      assert.deepEqual(page.images, []);
      // A page of 420 x 595 pt at 200 dpi.
      assert.deepEqual(page.dimensions, { dpi: 200, height: 1653, width: 1167 });
      assert.deepEqual(words(page.markdown), words(lines[idx].join(' ')), page.markdown);
    });
    // The two lines of a page are two lines (or paragraphs) of markdown.
    assert.ok(body.pages[0].markdown.includes('\n'), body.pages[0].markdown);
  });

  it('reads the pages asked for from bare base64', async () => {
    const { status, body } = await ocr({
      model,
      pages: [1],
      document: { type: 'document_url', document_url: pdf.toString('base64'), document_name: 'doc.pdf' },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.pages.length, 1);
    assert.equal(body.pages[0].index, 1);
    assert.deepEqual(words(body.pages[0].markdown), words(lines[1].join(' ')));
  });

  it('reads an image sent as an image_url, as a string and as an object', async () => {
    for (const image_url of [`data:image/png;base64,${png.toString('base64')}`, { url: `data:image/png;base64,${png.toString('base64')}` }]) {
      const { status, body } = await ocr({ model, document: { type: 'image_url', image_url } });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.pages.length, 1);
      assert.equal(body.pages[0].dimensions.width, 875); // 420 pt at 150 dpi, as pdftoppm rounds
      assert.deepEqual(words(body.pages[0].markdown), words(lines[0].join(' ')));
    }
  });

  it('refuses hostile and wrong input with a 400 naming the field', async () => {
    const data = (mime, bytes) => `data:${mime};base64,${bytes.toString('base64')}`;
    for (const [document, param, pattern] of [
      [{ type: 'document_url', document_url: 'https://example.com/a.pdf' }, 'document.document_url', /does not fetch/],
      [{ type: 'document_url', document_url: 'data:application/pdf;base64,@@@' }, 'document.document_url', /base64/],
      [{ type: 'document_url', document_url: data('text/plain', Buffer.from('hello there')) }, 'document.document_url', /neither a PDF/],
      [{ type: 'image_url', image_url: data('image/png', bomb_png(100000, 100000)) }, 'document.image_url', /100000 x 100000/],
      [{ type: 'document_url', document_url: data('application/pdf', Buffer.from('%PDF-1.7\nnot really\n')) }, 'document.document_url', /PDF/],
      [{ type: 'document_url', document_url: data('application/pdf', pdf.subarray(0, 200)) }, 'document.document_url', /PDF/],
      [{ type: 'file', file_id: 'x' }, 'document.type', /not supported/],
      [{ type: 'document_url' }, 'document.document_url', /required/],
    ]) {
      const { status, body } = await ocr({ model, document });
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.error.param, param, JSON.stringify(body));
      assert.match(body.error.message, pattern);
    }
    const out_of_range = await ocr({ model, pages: [7], document: { type: 'document_url', document_url: pdf.toString('base64') } });
    assert.equal(out_of_range.status, 400);
    assert.equal(out_of_range.body.error.param, 'pages');
    const negative = await ocr({ model, pages: [-1], document: { type: 'document_url', document_url: pdf.toString('base64') } });
    assert.equal(negative.body.error.param, 'pages[0]');
    const no_document = await ocr({ model });
    assert.equal(no_document.body.error.param, 'document');
    const chat_model = path.basename(test_model_path(), '.gguf');
    const wrong = await ocr({ model: chat_model, document: { type: 'document_url', document_url: pdf.toString('base64') } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'model_not_supported');
  });
});
