// A model whose GGUF file carries its own Jinja chat template: hearth renders it with its
// interpreter, and a template that refuses a conversation (raise_exception, as real templates
// do for roles they do not support) is a 400 naming the problem, never a 500 or a crash.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, hearth_bin } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

const template = [
  "{%- for message in messages %}",
  "{%- if message['role'] == 'system' %}{{ raise_exception('This model does not take system messages') }}{%- endif %}",
  "<|{{ message['role'] }}|>{{ message['content'] | trim }}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}<|assistant|>{%- endif %}",
].join('');

let work_dir;
let server;

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-template-'));
    const template_path = path.join(work_dir, 'template.jinja');
    fs.writeFileSync(template_path, template);
    const model_path = path.join(work_dir, 'templated.gguf');
    execFileSync(hearth_bin, ['synth', '--shape', 'tiny', '--chat-template', template_path, '-o', model_path], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 60_000,
    });
    server = await HearthServer.start(['--model', model_path, '--ctx', '256']);
  },
  { timeout: 90_000 },
);

after(async () => {
  await server?.stop();
  if (work_dir) fs.rmSync(work_dir, { recursive: true, force: true });
});

function chat(messages) {
  return server.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'templated', messages, max_tokens: 4 } });
}

describe('a chat template carried by the model file', () => {
  it('renders conversations the template accepts', { timeout: 30_000 }, async () => {
    const res = await chat([{ role: 'user', content: ' Hello ' }]);
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert_schema('CreateChatCompletionResponse', body);
    // <|user|>Hello<|assistant|>, tokenized: more than the two words alone.
    assert.ok(body.usage.prompt_tokens > 2, JSON.stringify(body.usage));
  });

  it("answers a template's raise_exception with a 400 naming it", { timeout: 30_000 }, async () => {
    const res = await chat([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello' },
    ]);
    const text = await res.text();
    assert.equal(res.status, 400, text);
    const body = JSON.parse(text);
    assert_schema('ErrorResponse', body);
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /This model does not take system messages/);
    assert.match(body.error.message, /line \d+, column \d+/);

    const again = await chat([{ role: 'user', content: 'still there?' }]);
    assert.equal(again.status, 200, await again.text());
  });
});
