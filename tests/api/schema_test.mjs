// Checks the schema validator the other tests rely on: it must accept OpenAI's own examples and
// reject a response that lacks a required field, has a wrong type or an unknown enum value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schema_errors } from './openai_schema.mjs';

const chat_completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1700000000,
  model: 'tiny',
  choices: [
    { index: 0, finish_reason: 'length', logprobs: null, message: { role: 'assistant', content: 'hi', refusal: null } },
  ],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0 } },
};

const chat_chunk = {
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1700000000,
  model: 'tiny',
  choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: null }],
};

function without(value, path) {
  const copy = structuredClone(value);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  delete node[path.at(-1)];
  return copy;
}

describe('openai schema validator', { timeout: 20_000 }, () => {
  it('accepts conforming responses', () => {
    assert.deepEqual(schema_errors('CreateChatCompletionResponse', chat_completion), []);
    assert.deepEqual(schema_errors('CreateChatCompletionStreamResponse', chat_chunk), []);
    assert.deepEqual(
      schema_errors('CreateChatCompletionStreamResponse', { ...chat_chunk, choices: [], usage: chat_completion.usage }),
      [],
    );
    assert.deepEqual(
      schema_errors('ErrorResponse', { error: { message: 'm', type: 't', param: null, code: null } }),
      [],
    );
    assert.deepEqual(schema_errors('Model', { id: 'tiny', object: 'model', created: 0, owned_by: 'hearth' }), []);
  });

  it('rejects a missing required field at any depth', () => {
    for (const path of [
      ['id'],
      ['choices'],
      ['choices', 0, 'message'],
      ['choices', 0, 'logprobs'],
      ['choices', 0, 'message', 'refusal'],
      ['usage', 'total_tokens'],
    ]) {
      assert.notDeepEqual(
        schema_errors('CreateChatCompletionResponse', without(chat_completion, path)),
        [],
        path.join('.'),
      );
    }
    assert.notDeepEqual(
      schema_errors('CreateChatCompletionStreamResponse', without(chat_chunk, ['choices', 0, 'finish_reason'])),
      [],
    );
    assert.notDeepEqual(schema_errors('ErrorResponse', { error: { message: 'm', type: 't', code: null } }), []);
    assert.notDeepEqual(schema_errors('Model', { id: 'tiny', object: 'model', created: 0 }), []);
  });

  it('rejects wrong types and enum values', () => {
    assert.notDeepEqual(
      schema_errors('CreateChatCompletionResponse', { ...chat_completion, object: 'chat.completion.chunk' }),
      [],
    );
    assert.notDeepEqual(
      schema_errors('CreateChatCompletionResponse', { ...chat_completion, created: '1700000000' }),
      [],
    );
    const null_finish = structuredClone(chat_completion);
    null_finish.choices[0].finish_reason = null; // allowed only in stream chunks
    assert.notDeepEqual(schema_errors('CreateChatCompletionResponse', null_finish), []);
    const bad_finish = structuredClone(chat_chunk);
    bad_finish.choices[0].finish_reason = 'done';
    assert.notDeepEqual(schema_errors('CreateChatCompletionStreamResponse', bad_finish), []);
  });
});
