// Runs the API test suite: synthesizes the test models once into a temp dir, then runs every
// tests/api/*_test.mjs under `node --test`, one file at a time (the timing-based tests need the
// cores to themselves), each in a process group of its own that is killed, servers included, if
// it runs past its time. Exits 0 only when every file passed.
//
//   node tests/api/run_tests.mjs                   # every file
//   node tests/api/run_tests.mjs chat_test.mjs     # some files
//   HEARTH_BIN=build-x/hearth node tests/api/run_tests.mjs
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const file_timeout_ms = 180_000; // backstop; every test sets its own, shorter limit

// The openai SDK supports Node 20 and later; Debian 12's own nodejs is 18.
const node_major = Number(process.versions.node.split('.')[0]);
if (node_major < 20) {
  console.error(`run_tests: needs Node 20 or later, this is ${process.version}`);
  process.exit(1);
}
if (!fs.existsSync(path.join(here, 'node_modules', 'openai'))) {
  console.error('run_tests: npm packages missing; run `npm ci --prefix tests/api`');
  process.exit(1);
}
const { hearth_bin, synthesize_models } = await import('./hearth_server.mjs');
if (!fs.existsSync(hearth_bin)) {
  console.error(`run_tests: no hearth binary at ${hearth_bin} (build it, or set HEARTH_BIN)`);
  process.exit(1);
}

const named = process.argv.slice(2);
const files = (
  named.length > 0
    ? named
    : fs
        .readdirSync(here)
        .filter((name) => name.endsWith('_test.mjs'))
        .sort()
).map((name) => path.resolve(here, name));

const models_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-api-models-'));
let kill_running_file = null; // kills the process group of the file now running
process.on('exit', () => {
  kill_running_file?.();
  fs.rmSync(models_dir, { recursive: true, force: true });
});
for (const [signal, status] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
])
  process.on(signal, () => process.exit(status));

function run_file(file, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', file], {
      stdio: 'inherit',
      env,
      detached: true,
    });
    kill_running_file = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      console.error(`run_tests: ${path.basename(file)} still running after ${file_timeout_ms} ms, killed`);
      kill_running_file();
    }, file_timeout_ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      kill_running_file(); // whatever the file left behind
      kill_running_file = null;
      resolve(code === 0);
    });
  });
}

synthesize_models(models_dir);
const env = {
  ...process.env,
  HEARTH_BIN: hearth_bin,
  HEARTH_TEST_MODELS_DIR: models_dir,
  HEARTH_TEST_MODEL: path.join(models_dir, 'tiny.gguf'),
};
const failed = [];
for (const file of files) {
  console.log(`== ${path.basename(file)}`);
  if (!(await run_file(file, env))) failed.push(path.basename(file));
}
console.log(
  `api tests: ${files.length - failed.length} of ${files.length} files passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
);
process.exit(failed.length === 0 ? 0 : 1);
