// Prefix cache: a prompt that starts with the same tokens as an earlier one reuses their KV blocks
// (16 tokens each) and says so in usage.prompt_tokens_details.cached_tokens; reusing them must not
// change the answer, which is compared with a server started with --no-prefix-cache.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HearthServer, only_model_id, test_model_path } from './hearth_server.mjs';
import { assert_schema } from './openai_schema.mjs';

const block_tokens = 16;
const system =
  'You are the assistant of a small bakery by the harbour. You know every bread, cake and pastry we ' +
  'bake, the opening hours, the prices, and which items contain nuts, gluten or milk. Answer briefly and kindly.';

let cached_server;
let uncached_server;
let model;

before(
  async () => {
    const args = ['--model', test_model_path(), '--parallel', '2', '--ctx', '1024'];
    [cached_server, uncached_server] = await Promise.all([
      HearthServer.start(args),
      HearthServer.start([...args, '--no-prefix-cache']),
    ]);
    model = await only_model_id(cached_server.openai());
  },
  { timeout: 30_000 },
);

after(() => Promise.all([cached_server?.stop(), uncached_server?.stop()]));

function ask(server, question, extra = {}) {
  return server.openai().chat.completions.create({
    model,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: question },
    ],
    max_tokens: 12,
    temperature: 0,
    ...extra,
  });
}

function cached_tokens(usage) {
  return usage.prompt_tokens_details?.cached_tokens ?? 0;
}

function assert_cache_hit(usage) {
  const cached = cached_tokens(usage);
  assert.ok(
    cached >= block_tokens,
    `cached_tokens ${cached} for a prompt sharing >= 32 tokens: ${JSON.stringify(usage)}`,
  );
  assert.equal(cached % block_tokens, 0, `cached_tokens ${cached} is not whole blocks`);
  assert.ok(cached <= usage.prompt_tokens, `cached_tokens ${cached} of ${usage.prompt_tokens}`);
}

describe('prefix cache', { timeout: 30_000 }, () => {
  it('reports cached tokens for a shared prefix and answers as without the cache', async () => {
    const first = await ask(cached_server, 'Do you have rye bread?');
    assert_schema('CreateChatCompletionResponse', first);
    assert.ok(
      first.usage.prompt_tokens >= 3 * block_tokens,
      `prompt too short for the test: ${first.usage.prompt_tokens} tokens`,
    );
    assert.equal(cached_tokens(first.usage), 0, 'a fresh server has nothing cached');

    const second = await ask(cached_server, 'When do you open on Sunday?');
    assert_schema('CreateChatCompletionResponse', second);
    assert_cache_hit(second.usage);

    const reference = await ask(uncached_server, 'When do you open on Sunday?');
    assert.equal(cached_tokens(reference.usage), 0, '--no-prefix-cache reported cached tokens');
    assert.equal(reference.usage.prompt_tokens, second.usage.prompt_tokens);
    assert.equal(second.choices[0].message.content, reference.choices[0].message.content);
  });

  it('hits the cache for a repeated prompt and reports it in the streamed usage', async () => {
    const question = 'Which cakes have no nuts?';
    const first = await ask(cached_server, question);
    const chunks = [];
    for await (const chunk of await ask(cached_server, question, {
      stream: true,
      stream_options: { include_usage: true },
    })) {
      chunks.push(chunk);
    }
    const { usage } = chunks.at(-1);
    assert_cache_hit(usage);
    assert.equal(usage.prompt_tokens, first.usage.prompt_tokens);
    assert.equal(
      chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''),
      first.choices[0].message.content,
    );
  });

  it('shares the cache between completions prompts', async () => {
    const client = cached_server.openai();
    const prompt = `${system}\n\nCustomer: `;
    const first = await client.completions.create({
      model,
      prompt: `${prompt}Is the sourdough fresh?`,
      max_tokens: 4,
      temperature: 0,
    });
    const second = await client.completions.create({
      model,
      prompt: `${prompt}How much is a baguette?`,
      max_tokens: 4,
      temperature: 0,
    });
    assert_schema('CreateCompletionResponse', second);
    assert.ok(first.usage.prompt_tokens >= 3 * block_tokens);
    assert_cache_hit(second.usage);
  });

  it('never reports cached tokens with --no-prefix-cache', async () => {
    for (let round = 0; round < 2; round++) {
      const res = await ask(uncached_server, 'Do you have rye bread?');
      assert.equal(cached_tokens(res.usage), 0);
    }
  });
});
