// The dashboard in a real browser: Debian's Chromium driven headless by @playwright/test against
// `hearth serve`. On a node the page loads with no console error (a CSP violation is one), shows
// the models, and its numbers move after requests; a hostile model name stays text. On a gateway
// that requires keys the page is refused without one and, given the key as the browser's Basic
// password, shows its nodes, a routed request's resident model and the egress row of a request
// that went to the (mock) cloud.
//
// Fails, never skips, when Chromium is missing (scripts/setup installs Debian's `chromium`;
// HEARTH_CHROMIUM names another binary). HEARTH_DASHBOARD_SCREENSHOTS=docs writes the
// screenshots docs/dashboard.md shows (docs/dashboard-node.png, docs/dashboard-gateway.png).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from '@playwright/test';
import { HearthServer, run_hearth, test_models_dir, wait_until } from './hearth_server.mjs';
import { start_mock_openai } from './mock_openai.mjs';

const chromium_path = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';
const screenshots_dir = process.env.HEARTH_DASHBOARD_SCREENSHOTS ?? null;
const wait_ms = 30_000; // a guard against a hang; every wait ends when the page shows the state
const hostile = '<img src=x onerror=alert(1)>';

async function launch_chromium() {
  if (!fs.existsSync(chromium_path)) {
    assert.fail(`Chromium is not installed at ${chromium_path}: install Debian's 'chromium' package (scripts/setup does)`);
  }
  return chromium.launch({ executablePath: chromium_path, timeout: 60_000 });
}

// Every console error, uncaught exception and dialog of `page`, as text.
function watch_errors(page) {
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('dialog', async (dialog) => {
    errors.push(`dialog: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return errors;
}

// The cell `field` of the models table's row for `model_id` (the whole id, not a part of another).
function model_cell(page, model_id, field) {
  const whole_id = new RegExp(`^${model_id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page
    .locator('#models tr')
    .filter({ has: page.locator('td[data-field="id"]', { hasText: whole_id }) })
    .locator(`td[data-field="${field}"]`);
}

// Resolves once `locator`'s text satisfies `ready(text)`; the page polls the server by itself.
async function wait_text(locator, ready, what) {
  const reached = await wait_until(async () => {
    const text = await locator.first().textContent({ timeout: wait_ms }).catch(() => null);
    return text !== null && ready(text);
  }, wait_ms);
  assert.ok(reached, `the page never showed ${what}; last text: ${await locator.first().textContent().catch(() => '(none)')}`);
}

async function chat(server, model, headers = {}) {
  const res = await server.fetch('/v1/chat/completions', {
    json: { model, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 8, temperature: 0 },
    headers,
  });
  const body = await res.text();
  assert.equal(res.status, 200, body);
}

async function screenshot(page, name) {
  if (screenshots_dir === null) return;
  fs.mkdirSync(screenshots_dir, { recursive: true });
  await page.screenshot({ path: path.join(screenshots_dir, name), fullPage: true });
}

describe('the dashboard of a node', { timeout: 120_000 }, () => {
  let work_dir;
  let server;
  let browser;

  before(
    async () => {
      work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-dashboard-'));
      const models = path.join(work_dir, 'models');
      fs.mkdirSync(models);
      fs.symlinkSync(path.join(test_models_dir(), 'tiny.gguf'), path.join(models, 'tiny.gguf'));
      fs.symlinkSync(path.join(test_models_dir(), 'tiny-b.gguf'), path.join(models, 'tiny-b.gguf'));
      browser = await launch_chromium();
      server = await HearthServer.start(['--models-dir', models, '--ctx', '512']);
    },
    { timeout: 90_000 },
  );
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (work_dir) fs.rmSync(work_dir, { recursive: true, force: true });
  });

  it('loads cleanly, shows the model after a request and updates its numbers after more', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    const errors = watch_errors(page);
    const response = await page.goto(`${server.base_url}/?refresh=0.25`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /default-src 'none'/);
    await wait_text(page.getByTestId('role'), (text) => text === 'node', 'the role');
    await wait_text(model_cell(page, 'tiny-b', 'state'), (text) => text === 'unloaded', 'tiny-b unloaded');
    await wait_text(page.getByTestId('memory-budget'), (text) => /\d/.test(text), 'the memory budget');

    await chat(server, 'tiny');
    await wait_text(model_cell(page, 'tiny', 'state'), (text) => text === 'resident', 'tiny resident');
    await wait_text(model_cell(page, 'tiny', 'requests'), (text) => text === '1', 'one request');
    await wait_text(model_cell(page, 'tiny', 'ttft-mean'), (text) => /\d+(\.\d+)? m?s$/.test(text), 'a TTFT');
    await wait_text(page.getByTestId('live-tps'), (text) => /^\d/.test(text), 'a live tok/s');
    assert.equal(await page.locator('#memory-bar .segment').count(), 1, 'one resident model in the memory bar');
    const tokens_before = Number(await model_cell(page, 'tiny', 'tokens-out').textContent());
    assert.ok(tokens_before > 0);

    await chat(server, 'tiny');
    await chat(server, 'tiny');
    await wait_text(model_cell(page, 'tiny', 'requests'), (text) => text === '3', 'three requests');
    await wait_text(
      model_cell(page, 'tiny', 'tokens-out'),
      (text) => Number(text) > tokens_before,
      'more tokens out',
    );
    await wait_text(page.getByTestId('cost-detail'), (text) => / for [1-9]\d* tokens/.test(text), 'the month\'s tokens');
    await screenshot(page, 'dashboard-node.png');

    // A model name from a client is text on the page, never markup.
    const unknown = await server.fetch('/v1/chat/completions', {
      json: { model: hostile, messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.equal(unknown.status, 404);
    await unknown.arrayBuffer();
    await wait_text(model_cell(page, hostile, 'id'), (text) => text === hostile, 'the hostile name as text');
    assert.equal(await page.locator('#models img').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('serves its files with their types and a 404 for others', async () => {
    const page = await browser.newPage();
    const script = await page.goto(`${server.base_url}/dashboard/dashboard.js`);
    assert.equal(script.headers()['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(script.headers()['x-content-type-options'], 'nosniff');
    const missing = await page.goto(`${server.base_url}/dashboard/missing.js`);
    assert.equal(missing.status(), 404);
    assert.equal((await missing.json()).error.code, 'asset_not_found');
    await page.close();
  });
});

describe('the dashboard of a gateway that requires keys', { timeout: 150_000 }, () => {
  let work_dir;
  let cloud;
  let node_a;
  let node_b;
  let gateway;
  let browser;
  let secret;

  before(
    async () => {
      work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-dashboard-gw-'));
      for (const [name, file] of [
        ['a', 'tiny'],
        ['b', 'tiny-b'],
      ]) {
        fs.mkdirSync(path.join(work_dir, name));
        fs.symlinkSync(path.join(test_models_dir(), `${file}.gguf`), path.join(work_dir, name, `${file}.gguf`));
      }
      fs.mkdirSync(path.join(work_dir, 'none'));
      const state_dir = path.join(work_dir, 'state');
      const out = run_hearth(['keys', 'create', '--state-dir', state_dir, '--name', 'admin', '--class', 'public']);
      secret = out.split('\n').find((line) => /^hk-[A-Za-z0-9]{40}$/.test(line));
      assert.ok(secret, out);
      browser = await launch_chromium();
      cloud = await start_mock_openai();
      node_a = await HearthServer.start(['--models-dir', path.join(work_dir, 'a'), '--ctx', '512']);
      node_b = await HearthServer.start(['--models-dir', path.join(work_dir, 'b'), '--ctx', '512']);
      const config = path.join(work_dir, 'gateway.toml');
      fs.writeFileSync(
        config,
        `models_dir = "none"
require_keys = true

[gateway]
poll_interval = "100ms"

[[nodes]]
name = "a"
url = "${node_a.base_url}"

[[nodes]]
name = "b"
url = "${node_b.base_url}"

[[providers]]
name = "mock"
kind = "openai-compatible"
base_url = "${cloud.url}"
input_usd_per_mtok = "1.00"
output_usd_per_mtok = "2.00"

[[aliases]]
name = "cloud-only"
cloud = ["mock:gpt-mock"]

[policy]
public = ["local", "mock"]
`,
      );
      gateway = await HearthServer.start(['--config', config, '--state-dir', state_dir]);
    },
    { timeout: 120_000 },
  );
  after(async () => {
    await browser?.close();
    await gateway?.stop();
    await node_a?.stop();
    await node_b?.stop();
    await cloud?.close();
    if (work_dir) fs.rmSync(work_dir, { recursive: true, force: true });
  });

  it('is refused without the key', async () => {
    // Headless Chromium cannot answer the challenge (it fails the navigation): ask as a client.
    const response = await gateway.fetch('/');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Basic realm="hearth", charset="UTF-8"');
    await response.arrayBuffer();
    const page = await browser.newPage();
    await assert.rejects(page.goto(`${gateway.base_url}/`), /ERR_INVALID_AUTH_CREDENTIALS/);
    await page.close();
  });

  it('shows its nodes, a routed model and the egress of a cloud request', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: secret },
      viewport: { width: 1200, height: 900 },
    });
    const page = await context.newPage();
    const errors = watch_errors(page);
    const auth = { authorization: `Bearer ${secret}` };
    const response = await page.goto(`${gateway.base_url}/?refresh=0.25`);
    assert.equal(response.status(), 200);
    await wait_text(page.getByTestId('role'), (text) => text === 'gateway', 'the role');
    for (const [name, model] of [
      ['a', 'tiny'],
      ['b', 'tiny-b'],
    ]) {
      const row = page.locator(`#nodes tr[data-node="${name}"]`);
      await wait_text(row.locator('td[data-field="state"]'), (text) => text === 'up', `node ${name} up`);
      await wait_text(row.locator('td[data-field="models"]'), (text) => text === model, `node ${name}'s model`);
    }
    await wait_text(page.locator('#providers tr[data-provider="mock"] td[data-field="circuit"]'), (text) => text === 'closed', 'the provider');

    await chat(gateway, 'tiny', auth);
    await wait_text(page.locator('#nodes tr[data-node="a"] td[data-field="resident"]'), (text) => text === 'tiny', 'tiny resident on a');
    await wait_text(model_cell(page, 'node:a/tiny', 'state'), (text) => text === 'routed to node a', 'tiny routed to a');
    await wait_text(model_cell(page, 'node:a/tiny', 'requests'), (text) => text === '1', 'the routed request');

    await chat(gateway, 'cloud-only', auth);
    const egress = page.locator('#egress tr').first();
    await wait_text(egress.locator('td[data-field="status"]'), (text) => text === 'ok', 'the egress row');
    assert.equal(await egress.locator('td[data-field="provider"]').textContent(), 'mock');
    assert.equal(await egress.locator('td[data-field="key"]').textContent(), 'admin');
    assert.equal(await egress.locator('td[data-field="class"]').textContent(), 'public');
    assert.equal(await egress.locator('td[data-field="model"]').textContent(), 'gpt-mock');
    // 11 prompt tokens at $1/Mtok and 3 completion tokens at $2/Mtok: 17 micro-dollars.
    assert.equal(await egress.locator('td[data-field="cost"]').textContent(), '$0.000017');
    await wait_text(page.getByTestId('cost-detail'), (text) => text.includes('cloud $0.000017'), 'the cloud spend');
    assert.equal(await page.getByTestId('problem').isHidden(), true, await page.getByTestId('problem').textContent());
    await screenshot(page, 'dashboard-gateway.png');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
