// POST /v1/audio/speech with the built-in espeak-ng model through the official openai SDK: every
// response_format decodes again (ffprobe/ffmpeg from Debian's ffmpeg package) as 24 kHz mono of
// the same duration as the raw pcm; the audio streams in pieces; errors name the field. Fails,
// never skips, without ffprobe or eSpeak NG.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, test_model_path } from './hearth_server.mjs';

let server;
let client;
let dir;
const model = 'espeak-ng';
const text = 'Hearth reads this sentence aloud, then stops. One, two, three.';

before(
  async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-speech-'));
    server = await HearthServer.start(['--model', test_model_path()], { builtin_models: true });
    client = server.openai();
  },
  { timeout: 60_000 },
);

after(() => {
  server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// What ffprobe says of the file's one audio stream.
function probe(file, extra = []) {
  const out = execFileSync('ffprobe', ['-v', 'error', ...extra, '-show_streams', '-of', 'json', file], {
    encoding: 'utf8',
  });
  const streams = JSON.parse(out).streams;
  assert.equal(streams.length, 1, out);
  return streams[0];
}

// Seconds of audio in the file, counted by decoding all of it to 24 kHz mono s16.
function decoded_seconds(file, extra = []) {
  const pcm = execFileSync('ffmpeg', ['-v', 'error', ...extra, '-i', file, '-f', 's16le', '-ac', '1', '-ar', '24000', '-'], {
    maxBuffer: 64 << 20,
  });
  return pcm.length / 2 / 24000;
}

async function speak(format, extra = {}) {
  const response = await client.audio.speech.create({
    model,
    voice: 'alloy',
    input: text,
    response_format: format,
    ...extra,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const file = path.join(dir, `speech.${format}`);
  fs.writeFileSync(file, bytes);
  return { response, bytes, file };
}

async function post(body) {
  const res = await server.fetch('/v1/audio/speech', { method: 'POST', json: body });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: type.includes('json') ? await res.json() : await res.arrayBuffer() };
}

describe('audio speech', { timeout: 120_000 }, () => {
  let pcm_seconds;

  before(async () => {
    const { response, bytes } = await speak('pcm');
    assert.equal(response.headers.get('content-type'), 'audio/pcm');
    assert.equal(bytes.length % 2, 0);
    pcm_seconds = bytes.length / 2 / 24000;
    assert.ok(pcm_seconds > 2 && pcm_seconds < 10, `${pcm_seconds} s for ${text.split(' ').length} words`);
    // Speech, not silence: some samples are loud.
    let peak = 0;
    for (let offset = 0; offset < bytes.length; offset += 2) peak = Math.max(peak, Math.abs(bytes.readInt16LE(offset)));
    assert.ok(peak > 3000, `peak ${peak}`);
  });

  it('lists espeak-ng as a model that speaks', async () => {
    const listed = await client.models.list();
    const entry = listed.data.find((m) => m.id === model);
    assert.ok(entry, JSON.stringify(listed.data));
    assert.deepEqual(entry.capabilities, ['speak']);
  });

  for (const [format, codec, mime, tolerance] of [
    ['mp3', 'mp3', 'audio/mpeg', 0.15],
    ['opus', 'opus', 'audio/ogg', 0.1],
    ['aac', 'aac', 'audio/aac', 0.15],
    ['flac', 'flac', 'audio/flac', 0.25],
    // eSpeak NG's trailing pause varies a little between syntheses (its first one after start ends
    // about 50 ms sooner), so lengths agree within 60 ms plus what each codec pads.
    ['wav', 'pcm_s16le', 'audio/wav', 0.06],
  ]) {
    it(`answers ${format} that decodes again as 24 kHz mono of the same length`, async () => {
      const { response, file } = await speak(format);
      assert.equal(response.headers.get('content-type'), mime);
      const stream = probe(file);
      assert.equal(stream.codec_name, codec);
      // Opus is always decoded at 48 kHz; its Ogg header keeps the 24 kHz it was encoded at.
      assert.equal(Number(stream.sample_rate), format === 'opus' ? 48000 : 24000);
      assert.equal(stream.channels, 1);
      const seconds = decoded_seconds(file);
      assert.ok(Math.abs(seconds - pcm_seconds) <= tolerance, `${format}: ${seconds} s against pcm ${pcm_seconds} s`);
    });
  }

  it('answers pcm that ffprobe reads as raw 24 kHz s16le', async () => {
    const { file } = await speak('pcm');
    const stream = probe(file, ['-f', 's16le', '-ar', '24000', '-ch_layout', 'mono']);
    assert.equal(stream.codec_name, 'pcm_s16le');
    assert.ok(Math.abs(decoded_seconds(file, ['-f', 's16le', '-ar', '24000', '-ch_layout', 'mono']) - pcm_seconds) < 0.06);
  });

  it('speaks faster at speed 2 and in another language', async () => {
    const { bytes } = await speak('pcm', { speed: 2 });
    const fast_seconds = bytes.length / 2 / 24000;
    assert.ok(fast_seconds < pcm_seconds * 0.75, `${fast_seconds} s at speed 2, ${pcm_seconds} s at 1`);
    const german = await speak('wav', { voice: 'de', input: 'Guten Morgen, wie geht es Ihnen?' });
    assert.ok(decoded_seconds(german.file) > 1);
  });

  it('streams the audio in pieces as it is produced', async () => {
    const res = await server.fetch('/v1/audio/speech', {
      method: 'POST',
      json: { model, voice: 'echo', input: `${text} ${text} ${text}`, response_format: 'mp3' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    let n_pieces = 0;
    let n_bytes = 0;
    for await (const piece of res.body) {
      n_pieces += 1;
      n_bytes += piece.length;
    }
    assert.ok(n_pieces > 2, `${n_pieces} pieces, ${n_bytes} bytes`);
  });

  it('refuses what it cannot do, naming the field', async () => {
    for (const [body, param] of [
      [{ model, voice: 'nobody', input: 'hi' }, 'voice'],
      [{ model, voice: 'alloy', input: 'hi', speed: 5 }, 'speed'],
      [{ model, voice: 'alloy', input: 'hi', speed: 0.3 }, 'speed'],
      [{ model, voice: 'alloy', input: 'hi', response_format: 'ogg' }, 'response_format'],
      [{ model, voice: 'alloy', input: 'x'.repeat(4097) }, 'input'],
      [{ model, voice: 'alloy', input: '' }, 'input'],
      [{ model, voice: 'alloy', input: 'hi', instructions: 'whisper it' }, 'instructions'],
      [{ model, voice: 'alloy', input: 'hi', stream_format: 'sse' }, 'stream_format'],
      [{ model, voice: 'alloy', input: 'hi', loudness: 3 }, 'loudness'],
      [{ model, input: 'hi' }, 'voice'],
    ]) {
      const { status, body: error } = await post(body);
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(error.error.param, param, JSON.stringify(error));
    }
    const chat_model = path.basename(test_model_path(), '.gguf');
    const wrong = await post({ model: chat_model, voice: 'alloy', input: 'hi' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'model_not_supported');
    const chat = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: { model, messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(chat.status, 400);
    assert.equal((await chat.json()).error.code, 'model_not_supported');
  });

  it('loads on first use within the budget and shows what it holds', async () => {
    const status = await (await server.fetch('/hearth/v1/status')).json();
    const entry = status.models.find((m) => m.id === model);
    assert.ok(entry, JSON.stringify(status.models.map((m) => m.id)));
    assert.deepEqual(entry.capabilities, ['speak']);
    assert.equal(entry.state, 'resident');
    const held = entry.engine.memory.weights_bytes + entry.engine.memory.cache_bytes + entry.engine.memory.scratch_bytes;
    assert.ok(held > 0 && held <= entry.planned_bytes, JSON.stringify(entry));
  });
});
