// The hearth server under test: finds the built binary, synthesizes the random-weight test models
// and starts `hearth serve` on a free port, stopping it when the test is done.
//
//   const server = await HearthServer.start(['--model', await test_model_path(), '--parallel', '4']);
//   after(() => server.stop());
//   const client = server.openai();            // official SDK, no retries, bounded timeout
//   const res = await server.fetch('/health');  // raw HTTP with a bounded timeout
//
// HEARTH_BIN names the binary (default <repo>/build/hearth). run_tests.mjs synthesizes the models
// once per run and passes them in HEARTH_TEST_MODEL / HEARTH_TEST_MODELS_DIR; a test file run on
// its own synthesizes them into a temp dir of its own.
import { spawn, execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo_root = path.resolve(here, '..', '..');
export const hearth_bin = process.env.HEARTH_BIN ?? path.join(repo_root, 'build', 'hearth');

const start_timeout_ms = 60_000; // a guard: a loaded machine may take a while to start a process
const stop_timeout_ms = 15_000;
const request_timeout_ms = 30_000;
const stderr_lines_max = 100_000;
const status_poll_ms = 10;

// Writes the test models: <dir>/tiny.gguf (seed 1) and <dir>/tiny-b.gguf (seed 2). Returns dir.
export function synthesize_models(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, seed] of [
    ['tiny', 1],
    ['tiny-b', 2],
  ]) {
    const args = [
      'synth',
      '--shape',
      'tiny',
      '--type',
      'q8_0',
      '--seed',
      String(seed),
      '-o',
      path.join(dir, `${name}.gguf`),
    ];
    execFileSync(hearth_bin, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  }
  return dir;
}

let own_models_dir_ = null; // models synthesized by this process when run_tests.mjs did not

export function test_models_dir() {
  if (process.env.HEARTH_TEST_MODELS_DIR) return process.env.HEARTH_TEST_MODELS_DIR;
  if (own_models_dir_ === null) {
    own_models_dir_ = synthesize_models(fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-api-models-')));
    const dir = own_models_dir_;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return own_models_dir_;
}

// The tiny chat model every test serves unless it needs another.
export function test_model_path() {
  return process.env.HEARTH_TEST_MODEL ?? path.join(test_models_dir(), 'tiny.gguf');
}

let own_state_dir_ = null; // hearth.db of the servers this process starts without a --state-dir

function own_state_dir() {
  if (own_state_dir_ === null) {
    own_state_dir_ = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-api-state-'));
    const dir = own_state_dir_;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return own_state_dir_;
}

// Runs `hearth ARGS...` to completion; returns its stdout (throws with stderr on failure).
export function run_hearth(args) {
  return execFileSync(hearth_bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

const listening_re = /^hearth: listening on (http:\/\/\S+)$/;
const live_children_ = new Set(); // killed on exit if a test never reached its after() hook
process.on('exit', () => {
  for (const child of live_children_) child.kill('SIGKILL');
});

export class HearthServer {
  constructor(child, base_url, stdout_lines, stderr_lines, stderr_events, exited) {
    this.child_ = child;
    this.stderr_events_ = stderr_events; // emits 'line' after each line is added to stderr_lines
    this.base_url = base_url; // e.g. http://127.0.0.1:41234
    this.stdout_lines = stdout_lines; // every line the server printed on stdout, so far
    this.stderr_lines = stderr_lines; // every line the server printed on stderr, so far
    this.exited = exited; // Promise<{code, signal}>
  }

  // Starts `hearth serve --port 0 <args>` (args may name a --port of their own) and resolves once it
  // prints its listening line.
  // hearth.db (API keys, egress ledger) is this process's own unless args name a --state-dir.
  static async start(args, { timeout_ms = start_timeout_ms, builtin_models = false } = {}) {
    const port_args = args.includes('--port') ? [] : ['--port', '0'];
    // The built-in models (tesseract-eng, espeak-ng) only where a test asks for them, so that
    // every other test sees exactly the models it serves.
    const builtin_args = builtin_models ? [] : ['--no-builtin-models'];
    const state_args = args.includes('--state-dir') ? [] : ['--state-dir', own_state_dir()];
    const child = spawn(hearth_bin, ['serve', ...port_args, ...state_args, ...builtin_args, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live_children_.add(child);
    const stdout_lines = [];
    const stderr_lines = [];
    const stderr_events = new EventEmitter();
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      if (stderr_lines.length < stderr_lines_max) stderr_lines.push(line);
      stderr_events.emit('line');
    });
    const exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        // after stdout and stderr are drained
        live_children_.delete(child);
        resolve({ code, signal });
      });
    });
    const spawned = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('spawn', resolve);
    });
    await spawned;

    const base_url = await new Promise((resolve, reject) => {
      let settled = false;
      const fail = (why) => {
        if (settled) return;
        settled = true;
        child.kill('SIGKILL');
        reject(new Error(`hearth serve ${args.join(' ')}: ${why}\nstderr:\n${stderr_lines.slice(-30).join('\n')}`));
      };
      const timer = setTimeout(() => fail(`no listening line within ${timeout_ms} ms`), timeout_ms);
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        stdout_lines.push(line);
        if (stdout_lines.length !== 1) return;
        clearTimeout(timer);
        const match = listening_re.exec(line);
        if (!match) {
          fail(`first stdout line is not the listening line: ${JSON.stringify(line)}`);
          return;
        }
        settled = true;
        resolve(match[1]);
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        fail(`exited (code ${code}, signal ${signal}) before listening`);
      });
    });
    return new HearthServer(child, base_url, stdout_lines, stderr_lines, stderr_events, exited);
  }

  // Resolves once the lines printed on stderr so far satisfy `ready(stderr_lines)` (checked now and after
  // each new line); rejects past timeout_ms, a guard against a hang that never decides a test.
  wait_for_stderr(ready, { timeout_ms = request_timeout_ms } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!ready(this.stderr_lines)) return;
        clearTimeout(timer);
        this.stderr_events_.off('line', check);
        resolve(this.stderr_lines);
      };
      const timer = setTimeout(() => {
        this.stderr_events_.off('line', check);
        reject(new Error(`stderr did not show what was awaited within ${timeout_ms} ms`));
      }, timeout_ms);
      this.stderr_events_.on('line', check);
      check();
    });
  }

  // Polls GET /hearth/v1/status until `ready(status)`; resolves to that status. Rejects past
  // timeout_ms, a guard against a hang that never decides a test.
  async wait_for_status(ready, { timeout_ms = request_timeout_ms } = {}) {
    const deadline = Date.now() + timeout_ms;
    for (;;) {
      const status = await (await this.fetch('/hearth/v1/status')).json();
      if (ready(status)) return status;
      if (Date.now() > deadline) throw new Error(`status never reached the awaited state: ${JSON.stringify(status)}`);
      await sleep(status_poll_ms); // spares the cores the server needs to get there
    }
  }

  get pid() {
    return this.child_.pid;
  }

  get running() {
    return this.child_.exitCode === null && this.child_.signalCode === null;
  }

  openai({ timeout_ms = request_timeout_ms } = {}) {
    return new OpenAI({ baseURL: `${this.base_url}/v1`, apiKey: 'hearth-test', maxRetries: 0, timeout: timeout_ms });
  }

  // fetch() against the server with a bounded timeout; `init.json` is sent as a JSON body.
  fetch(route, init = {}) {
    const { json, timeout_ms = request_timeout_ms, headers = {}, ...rest } = init;
    const options = { ...rest, headers: { ...headers }, signal: rest.signal ?? AbortSignal.timeout(timeout_ms) };
    if (json !== undefined) {
      options.method = options.method ?? 'POST';
      options.headers['content-type'] = 'application/json';
      options.body = JSON.stringify(json);
    }
    return fetch(`${this.base_url}${route}`, options);
  }

  // One request through node:http, where a header given as an array goes out as that many
  // header lines (fetch() joins them into one). Resolves to {status, json}.
  post_raw(route, body, headers = {}) {
    return new Promise((resolve, reject) => {
      const request = http.request(
        `${this.base_url}${route}`,
        { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, timeout: request_timeout_ms },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode, json: JSON.parse(text) }));
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer to POST ${route}`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  signal(name) {
    this.child_.kill(name);
  }

  // Stops the server: SIGTERM, then SIGKILL if it has not exited within timeout_ms.
  // Resolves to {code, signal}. Safe to call more than once.
  async stop({ timeout_ms = stop_timeout_ms } = {}) {
    if (this.running) this.child_.kill('SIGTERM');
    let timer;
    const killed = new Promise((resolve) => {
      timer = setTimeout(() => {
        this.child_.kill('SIGKILL');
        resolve();
      }, timeout_ms);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }
}

// The id of the only model a `--model FILE` server lists.
export async function only_model_id(client) {
  const models = await client.models.list();
  if (models.data.length !== 1) throw new Error(`expected one model, got ${JSON.stringify(models.data)}`);
  return models.data[0].id;
}

// Polls until `predicate()` holds (an observable state, e.g. a fleet reached once the gateway's
// poller has seen it); false only past a generous guard, which is a failure, never what passes a test.
export async function wait_until(predicate, timeout_ms = 60_000) {
  const deadline = Date.now() + timeout_ms;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await sleep(50);
  }
  return false;
}
