// Runs the API test suite: synthesizes the test models once into a temp dir, then runs every
// tests/api/*_test.mjs under `node --test`, one file at a time (the timing-based tests need the two
// cores to themselves). Exits with the test runner's status.
//
//   node tests/api/run_tests.mjs                   # every file
//   node tests/api/run_tests.mjs chat_test.mjs     # some files
//   HEARTH_BIN=build-x/hearth node tests/api/run_tests.mjs
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hearth_bin, synthesize_models } from './hearth_server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const per_test_timeout_ms = 60_000;  // backstop; each test sets its own, shorter limit

if (!fs.existsSync(hearth_bin)) {
  console.error(`run_tests: no hearth binary at ${hearth_bin} (build it, or set HEARTH_BIN)`);
  process.exit(1);
}

const named = process.argv.slice(2);
const files = (named.length > 0 ? named : fs.readdirSync(here).filter((name) => name.endsWith('_test.mjs')).sort())
  .map((name) => path.resolve(here, name));

const models_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-api-models-'));
let status = 1;
try {
  synthesize_models(models_dir);
  const env = {
    ...process.env,
    HEARTH_BIN: hearth_bin,
    HEARTH_TEST_MODELS_DIR: models_dir,
    HEARTH_TEST_MODEL: path.join(models_dir, 'tiny.gguf'),
  };
  const args = ['--test', '--test-concurrency=1', `--test-timeout=${per_test_timeout_ms}`, ...files];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', env });
  status = result.status ?? 1;
} finally {
  fs.rmSync(models_dir, { recursive: true, force: true });
}
process.exit(status);
