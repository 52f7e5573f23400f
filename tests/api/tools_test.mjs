// OpenAI tools on /v1/chat/completions with the real chat templates of Qwen3 (Hermes <tool_call>
// format) and Mistral Nemo ([TOOL_CALLS] format) carried by random-weight models, and with a model
// whose template takes no tools (hearth writes them into the system message, Hermes format).
// tool_choice "required" and a named function are enforced by constrained decoding, so even a
// random model answers with a call whose arguments validate against the tool's parameters; the
// answer is message.tool_calls (or tool_calls deltas) with finish_reason "tool_calls", and a
// conversation carrying the calls and their results renders through each template. The same on
// Anthropic's /v1/messages (tools, tool_choice any/tool, tool_use and tool_result blocks).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import Ajv2020 from 'ajv/dist/2020.js';
import { HearthServer, hearth_bin, repo_root, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';
import { read_sse_data } from './sse.mjs';

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The current weather in a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', maxLength: 40 },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1, maximum: 7 },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
};
const clock = {
  type: 'function',
  function: {
    name: 'get_time',
    parameters: {
      type: 'object',
      properties: { timezone: { type: 'string', enum: ['UTC', 'Europe/Paris', 'America/New_York'] } },
      required: ['timezone'],
      additionalProperties: false,
    },
  },
};
const tools = [weather, clock];
const ajv = new Ajv2020({ strict: false, allErrors: true });
const validators = Object.fromEntries(tools.map((tool) => [tool.function.name, ajv.compile(tool.function.parameters)]));

// model id -> how its call ids look
const models = {
  qwen3: /^call_[A-Za-z0-9]{24}$/,
  nemo: /^[A-Za-z0-9]{9}$/,
  tiny: /^call_[A-Za-z0-9]{24}$/,
};

let work_dir;
let server;
let client;

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-tools-'));
    for (const [id, fixture] of [
      ['qwen3', 'qwen3'],
      ['nemo', 'mistral_nemo'],
    ]) {
      const source = JSON.parse(
        fs.readFileSync(path.join(repo_root, 'tests', 'fixtures', 'chat_templates', `${fixture}.json`), 'utf8'),
      ).template;
      const template_path = path.join(work_dir, `${id}.jinja`);
      fs.writeFileSync(template_path, source);
      execFileSync(
        hearth_bin,
        ['synth', '--shape', 'tiny', '--chat-template', template_path, '-o', path.join(work_dir, `${id}.gguf`)],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 },
      );
    }
    fs.copyFileSync(test_model_path(), path.join(work_dir, 'tiny.gguf'));
    server = await HearthServer.start(['--models-dir', work_dir, '--ctx', '2048']);
    client = server.openai();
  },
  { timeout: 120_000 },
);

after(async () => {
  await server?.stop();
  if (work_dir) fs.rmSync(work_dir, { recursive: true, force: true });
});

function assert_call(call, id_re, names) {
  assert.equal(call.type, 'function');
  assert.match(call.id, id_re);
  assert.ok(names.includes(call.function.name), call.function.name);
  const args = JSON.parse(call.function.arguments);
  const validate = validators[call.function.name];
  assert.ok(validate(args), `${JSON.stringify(validate.errors)} in ${call.function.arguments}`);
}

for (const [model, id_re] of Object.entries(models)) {
  describe(`tools on ${model}`, () => {
    it('tool_choice required: a valid call, whatever the seed', { timeout: 120_000 }, async () => {
      for (const seed of [1, 2, 3]) {
        const completion = await client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'What is the weather in Lyon?' }],
          tools,
          tool_choice: 'required',
          seed,
          temperature: 1.0,
          max_tokens: 1200,
        });
        assert_schema('CreateChatCompletionResponse', completion);
        const choice = completion.choices[0];
        assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice.message));
        assert.equal(choice.message.tool_calls.length, 1);
        assert_call(choice.message.tool_calls[0], id_re, ['get_weather', 'get_time']);
      }
    });

    it('a named function is the one called', { timeout: 60_000 }, async () => {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'What time is it?' }],
        tools,
        tool_choice: { type: 'function', function: { name: 'get_time' } },
        seed: 5,
        max_tokens: 1200,
      });
      const choice = completion.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      assert_call(choice.message.tool_calls[0], id_re, ['get_time']);
    });

    it('streams the call as a tool_calls delta', { timeout: 60_000 }, async () => {
      const res = await server.fetch('/v1/chat/completions', {
        method: 'POST',
        json: {
          model,
          messages: [{ role: 'user', content: 'Weather in Oslo?' }],
          tools,
          tool_choice: 'required',
          seed: 9,
          max_tokens: 1200,
          stream: true,
        },
      });
      assert.equal(res.status, 200);
      const calls = [];
      let finish = null;
      for (const event of await read_sse_data(res)) {
        if (event === '[DONE]') break;
        const chunk = JSON.parse(event);
        assert_schema('CreateChatCompletionStreamResponse', chunk);
        const choice = chunk.choices[0];
        for (const delta of choice?.delta?.tool_calls ?? []) calls.push(delta);
        finish = choice?.finish_reason ?? finish;
      }
      assert.equal(finish, 'tool_calls');
      assert.equal(calls.length, 1);
      assert.equal(calls[0].index, 0);
      assert_call(calls[0], id_re, ['get_weather', 'get_time']);
    });

    it('renders a conversation with calls and their results', { timeout: 60_000 }, async () => {
      const first = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Weather in Lyon?' }],
        tools,
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        seed: 3,
        max_tokens: 1200,
      });
      const message = first.choices[0].message;
      const call = message.tool_calls[0];
      const completion = await client.chat.completions.create({
        model,
        messages: [
          { role: 'user', content: 'Weather in Lyon?' },
          message,
          { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
        ],
        tools,
        seed: 4,
        max_tokens: 8,
      });
      assert_schema('CreateChatCompletionResponse', completion);
      // The template saw the call and the result: the prompt holds them.
      assert.ok(completion.usage.prompt_tokens > first.usage.prompt_tokens, JSON.stringify(completion.usage));
    });

    it('tool_choice auto: a random model mostly writes text; either way a valid answer', { timeout: 60_000 }, async () => {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hello' }],
        tools,
        seed: 2,
        max_tokens: 16,
      });
      assert_schema('CreateChatCompletionResponse', completion);
      assert.ok(['stop', 'length', 'tool_calls'].includes(completion.choices[0].finish_reason));
    });
  });
}

describe('tool request errors and template variables', () => {
  it('enable_thinking reaches the template (chat_template_kwargs)', { timeout: 30_000 }, async () => {
    const usage = async (enable_thinking) =>
      (
        await client.chat.completions.create({
          model: 'qwen3',
          messages: [{ role: 'user', content: 'Hi' }],
          chat_template_kwargs: { enable_thinking },
          max_tokens: 1,
        })
      ).usage.prompt_tokens;
    // Qwen3's template writes an empty <think></think> block when thinking is off.
    assert.ok((await usage(false)) > (await usage(true)));
  });

  it('refuses what it cannot honour, naming the field', { timeout: 30_000 }, async () => {
    for (const [body, param] of [
      [{ tools, tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice.function.name'],
      [{ tool_choice: 'required' }, 'tool_choice'],
      [{ tools: [{ type: 'function', function: { name: 'bad name' } }] }, 'tools[0].function.name'],
      [{ tools, chat_template_kwargs: { messages: [] } }, 'chat_template_kwargs.messages'],
      [
        {
          tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string', format: 'email' } } } } }],
          tool_choice: 'required',
        },
        'tools[0].function.parameters',
      ],
    ]) {
      const res = await server.fetch('/v1/chat/completions', {
        method: 'POST',
        json: { model: 'qwen3', messages: [{ role: 'user', content: 'x' }], ...body },
      });
      const error = await res.json();
      assert.equal(res.status, 400, JSON.stringify(error));
      assert_schema('ErrorResponse', error);
      assert.equal(error.error.param, param, JSON.stringify(error));
    }
    const no_id = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: { model: 'qwen3', messages: [{ role: 'user', content: 'x' }, { role: 'tool', content: '1' }] },
    });
    assert.equal(no_id.status, 400);
    assert.equal((await no_id.json()).error.param, 'messages[1].tool_call_id');
  });
});

const anthropic_tools = tools.map((tool) => ({
  name: tool.function.name,
  description: tool.function.description,
  input_schema: tool.function.parameters,
}));

function assert_tool_use(block, names) {
  assert.equal(block.type, 'tool_use');
  assert.ok(names.includes(block.name), block.name);
  const validate = validators[block.name];
  assert.ok(validate(block.input), `${JSON.stringify(validate.errors)} in ${JSON.stringify(block.input)}`);
}

for (const model of Object.keys(models)) {
  describe(`Anthropic tools on ${model}`, () => {
    const anthropic = () => new Anthropic({ baseURL: server.base_url, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });

    it('tool_choice any: a tool_use block, stop_reason tool_use', { timeout: 60_000 }, async () => {
      const message = await anthropic().messages.create({
        model,
        max_tokens: 1200,
        messages: [{ role: 'user', content: 'Weather in Lyon?' }],
        tools: anthropic_tools,
        tool_choice: { type: 'any' },
      });
      assert.equal(message.stop_reason, 'tool_use', JSON.stringify(message.content));
      const uses = message.content.filter((block) => block.type === 'tool_use');
      assert.equal(uses.length, 1);
      assert_tool_use(uses[0], ['get_weather', 'get_time']);
      assert.match(uses[0].id, model === 'nemo' ? /^[A-Za-z0-9]{9}$/ : /^toolu_[A-Za-z0-9]{24}$/);
    });

    it('streams a named tool and takes its result back', { timeout: 60_000 }, async () => {
      const stream = anthropic().messages.stream({
        model,
        max_tokens: 1200,
        messages: [{ role: 'user', content: 'What time is it?' }],
        tools: anthropic_tools,
        tool_choice: { type: 'tool', name: 'get_time' },
      });
      const message = await stream.finalMessage();
      assert.equal(message.stop_reason, 'tool_use');
      const use = message.content.find((block) => block.type === 'tool_use');
      assert_tool_use(use, ['get_time']);
      const answer = await anthropic().messages.create({
        model,
        max_tokens: 4,
        messages: [
          { role: 'user', content: 'What time is it?' },
          { role: 'assistant', content: message.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '12:00' }] },
        ],
        tools: anthropic_tools,
      });
      assert.equal(answer.type, 'message');
      assert.ok(answer.usage.input_tokens > message.usage.input_tokens);
    });
  });
}
