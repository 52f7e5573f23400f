// Validates hearth's responses against the schemas of OpenAI's published OpenAPI description:
// tests/api/openai-schemas.json holds the schemas the suite checks, copied unchanged by
// tools/extract_openapi_schemas.py from ../shared/specs/openai-openapi.json; HEARTH_OPENAPI_SPEC
// may name the full description instead.
//
//   import { assert_schema } from './openai_schema.mjs';
//   assert_schema('CreateChatCompletionResponse', body);   // throws AssertionError listing every violation
//
// The description is OpenAPI 3.1 (JSON Schema 2020-12) but still carries OpenAPI 3.0's `nullable`
// in places; `nullable: true` is rewritten to `anyOf: [<schema>, {type: "null"}]`, which is what it
// means (OpenAPI 3.0.3, "nullable"). Nothing else is relaxed: required fields, types and enums are
// checked as published. Formats are not checked (the spec's "unixtime" is not a JSON Schema format;
// the fields carrying it are still checked as integers).
// ref: https://spec.openapis.org/oas/v3.0.3#fixed-fields-19
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export function openapi_spec_path() {
  return process.env.HEARTH_OPENAPI_SPEC ?? path.join(here, 'openai-schemas.json');
}

// Returns a deep copy of `node` with every `nullable: true` turned into an anyOf with null.
function rewrite_nullable(node) {
  if (Array.isArray(node)) return node.map(rewrite_nullable);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable') continue;
    out[key] = rewrite_nullable(value);
  }
  if (node.nullable === true) return { anyOf: [out, { type: 'null' }] };
  return out;
}

let validators_ = null; // Map schema name -> compiled validator; built on first use

function validator_for(name) {
  if (validators_ === null) {
    const spec_path = openapi_spec_path();
    if (!fs.existsSync(spec_path)) {
      throw new Error(`OpenAPI description not found at ${spec_path} (set HEARTH_OPENAPI_SPEC)`);
    }
    const spec = JSON.parse(fs.readFileSync(spec_path, 'utf8'));
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    // Refs in the description read "#/components/schemas/X": keep that layout under one $id.
    ajv.addSchema({ $id: 'openai', components: { schemas: rewrite_nullable(spec.components.schemas) } });
    validators_ = { ajv, compiled: new Map() };
  }
  let validate = validators_.compiled.get(name);
  if (!validate) {
    validate = validators_.ajv.getSchema(`openai#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name} in the OpenAPI description`);
    validators_.compiled.set(name, validate);
  }
  return validate;
}

// Returns the list of violations of schema `name` by `value` (empty when it conforms).
export function schema_errors(name, value) {
  const validate = validator_for(name);
  if (validate(value)) return [];
  return validate.errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

export function assert_schema(name, value) {
  const errors = schema_errors(name, value);
  assert.deepEqual(errors, [], `${name} violated by ${JSON.stringify(value).slice(0, 2000)}`);
}
