// response_format json_schema / json_object: constrained decoding makes even a random-weight model's
// output parse and validate against the schema, whatever the seed. The schemas are shaped like real
// apps' (nested objects, arrays with bounds, enums, anyOf, bounded numbers, pydantic-style $defs).
// A schema feature hearth cannot constrain to is a 400 naming it; max_tokens reached mid-object is
// finish_reason "length" with the prefix as content.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { HearthServer, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';
import { read_sse_data } from './sse.mjs';

const schemas = {
  invoice: {
    type: 'object',
    properties: {
      customer: {
        type: 'object',
        properties: { name: { type: 'string' }, email: { type: 'string' } },
        required: ['name', 'email'],
        additionalProperties: false,
      },
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            sku: { type: 'string' },
            quantity: { type: 'integer', minimum: 1, maximum: 99 },
            unit_price: { type: 'number', minimum: 0, maximum: 10000 },
          },
          required: ['sku', 'quantity', 'unit_price'],
          additionalProperties: false,
        },
        minItems: 1,
        maxItems: 3,
      },
      currency: { type: 'string', enum: ['USD', 'EUR', 'GBP'] },
      paid: { type: 'boolean' },
    },
    required: ['customer', 'items', 'currency', 'paid'],
    additionalProperties: false,
  },
  event: {
    type: 'object',
    properties: {
      title: { type: 'string' },
      attendees: { type: 'array', items: { type: 'string' }, maxItems: 3 },
      location: {
        anyOf: [
          {
            type: 'object',
            properties: { room: { type: 'string' }, floor: { type: 'integer', minimum: -2, maximum: 40 } },
            required: ['room', 'floor'],
            additionalProperties: false,
          },
          { type: 'null' },
        ],
      },
      priority: { enum: [1, 2, 3] },
      duration_hours: { type: 'number', exclusiveMinimum: 0, maximum: 24 },
    },
    required: ['title', 'attendees', 'location', 'priority', 'duration_hours'],
    additionalProperties: false,
  },
  // OpenAI's structured-output example, as pydantic writes it ($defs and $ref).
  math_reasoning: {
    $defs: {
      Step: {
        type: 'object',
        properties: { explanation: { type: 'string' }, output: { type: 'string' } },
        required: ['explanation', 'output'],
        additionalProperties: false,
      },
    },
    type: 'object',
    properties: {
      steps: { type: 'array', items: { $ref: '#/$defs/Step' }, maxItems: 2 },
      final_answer: { type: 'string' },
    },
    required: ['steps', 'final_answer'],
    additionalProperties: false,
  },
  classification: {
    type: 'object',
    properties: {
      sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      labels: { type: ['array', 'null'], items: { const: 'urgent' }, maxItems: 2 },
    },
    required: ['sentiment', 'confidence', 'labels'],
    additionalProperties: false,
  },
};

const seeds = [1, 2, 3, 4];
const ajv = new Ajv2020({ strict: false, allErrors: true });
let server;
let client;

before(
  async () => {
    server = await HearthServer.start(['--model', test_model_path(), '--ctx', '2048']);
    client = server.openai();
  },
  { timeout: 90_000 },
);

after(async () => {
  await server?.stop();
});

function request(name, seed, extra = {}) {
  return {
    model: 'tiny',
    messages: [{ role: 'user', content: `Fill in the ${name}.` }],
    response_format: { type: 'json_schema', json_schema: { name, schema: schemas[name], strict: true } },
    seed,
    temperature: 1.0,
    max_tokens: 1900,
    ...extra,
  };
}

function assert_valid(name, text) {
  let value;
  assert.doesNotThrow(() => {
    value = JSON.parse(text);
  }, `not JSON: ${text}`);
  const validate = ajv.compile(schemas[name]);
  assert.ok(validate(value), `${name}: ${JSON.stringify(validate.errors)} in ${text}`);
}

describe('response_format json_schema', () => {
  for (const name of Object.keys(schemas)) {
    // Every answer that ends parses and validates. A random-weight model may keep writing one
    // free-form string past max_tokens (the grammar allows any length there): that answer is
    // reported as cut (finish_reason length), and most seeds must still complete.
    it(`${name}: every seed's output parses and validates`, { timeout: 120_000 }, async () => {
      let n_complete = 0;
      for (const seed of seeds) {
        const completion = await client.chat.completions.create(request(name, seed));
        assert_schema('CreateChatCompletionResponse', completion);
        const choice = completion.choices[0];
        if (choice.finish_reason === 'length') {
          assert.equal(completion.usage.completion_tokens, 1900, `seed ${seed}: cut before max_tokens`);
          continue;
        }
        assert.equal(choice.finish_reason, 'stop', `seed ${seed}: ${choice.message.content}`);
        assert_valid(name, choice.message.content);
        n_complete += 1;
      }
      assert.ok(n_complete >= 2, `only ${n_complete} of ${seeds.length} answers completed`);
    });
  }

  it('streams the same valid output', { timeout: 60_000 }, async () => {
    const res = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: { ...request('invoice', 7), stream: true },
    });
    assert.equal(res.status, 200);
    let text = '';
    let finish = null;
    for (const event of await read_sse_data(res)) {
      if (event === '[DONE]') break;
      const chunk = JSON.parse(event);
      assert_schema('CreateChatCompletionStreamResponse', chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, 'stop');
    assert_valid('invoice', text);
  });

  it('json_object: an object, every seed', { timeout: 60_000 }, async () => {
    let n_complete = 0;
    for (const seed of seeds) {
      const completion = await client.chat.completions.create({
        model: 'tiny',
        messages: [{ role: 'user', content: 'Answer in JSON.' }],
        response_format: { type: 'json_object' },
        seed,
        max_tokens: 1900,
      });
      const choice = completion.choices[0];
      if (choice.finish_reason === 'length') continue; // deep free-form values may run long
      const value = JSON.parse(choice.message.content);
      assert.equal(typeof value, 'object');
      assert.ok(value !== null && !Array.isArray(value), choice.message.content);
      n_complete += 1;
    }
    assert.ok(n_complete >= 2, `only ${n_complete} of ${seeds.length} answers completed`);
  });

  it('max_tokens reached mid-object: finish_reason length, the prefix as content', { timeout: 30_000 }, async () => {
    const completion = await client.chat.completions.create(request('invoice', 1, { max_tokens: 3 }));
    const choice = completion.choices[0];
    assert.equal(choice.finish_reason, 'length');
    assert.ok(choice.message.content.startsWith('{'), choice.message.content);
    assert.throws(() => JSON.parse(choice.message.content));
  });

  it('refuses schema features it cannot enforce, naming them', { timeout: 30_000 }, async () => {
    for (const [schema, feature] of [
      [{ type: 'object', properties: { id: { type: 'string', pattern: '^[a-z]+$' } } }, "'pattern'"],
      [{ type: 'object', properties: { n: { type: 'number', multipleOf: 5 } } }, "'multipleOf'"],
      [{ oneOf: [{ type: 'string' }, { type: 'number' }] }, "'oneOf'"],
      [{ type: 'object', properties: { a: { $ref: 'https://example.com/a.json' } } }, '\\$ref'],
    ]) {
      const res = await server.fetch('/v1/chat/completions', {
        method: 'POST',
        json: {
          model: 'tiny',
          messages: [{ role: 'user', content: 'x' }],
          response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
        },
      });
      const body = await res.json();
      assert.equal(res.status, 400, JSON.stringify(body));
      assert_schema('ErrorResponse', body);
      assert.equal(body.error.param, 'response_format.json_schema.schema');
      assert.equal(body.error.code, 'unsupported_feature');
      assert.match(body.error.message, new RegExp(feature), body.error.message);
    }
    const bad = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: { model: 'tiny', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'yaml' } },
    });
    assert.equal(bad.status, 400);
  });
});
