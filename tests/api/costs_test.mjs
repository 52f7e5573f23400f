// The cost ledger from outside: a node with [costs] in its config serves a few chat requests,
// then GET /hearth/v1/costs and `hearth costs --json` report them (the same object), priced
// exactly as docs/costs.md says (checked here with BigInt, re-deriving each rounding);
// `hearth tco` reproduces the story's numbers and writes its plot.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthServer, hearth_bin, run_hearth, test_models_dir } from './hearth_server.mjs';

let work_dir;
let state_dir;
let config;
let server;
let alice;
const served = []; // {key, prompt_tokens, completion_tokens}

// num / den rounded half up (both non-negative BigInts): ledger/cost_math.h's rule.
const round = (num, den) => (num + den / 2n) / den;

function this_month() {
  const now = new Date();
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

async function chat(secret, content) {
  const headers = secret ? { authorization: `Bearer ${secret}` } : {};
  const res = await server.fetch('/v1/chat/completions', {
    json: { model: 'tiny', messages: [{ role: 'user', content }], max_tokens: 6, temperature: 0 },
    headers,
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  served.push({ key: secret ? 'alice' : null, ...body.usage });
}

// A streamed answer is recorded the same way; its usage comes in the last chunk.
async function stream_chat(content) {
  const stream = await server.openai().chat.completions.create({
    model: 'tiny',
    messages: [{ role: 'user', content }],
    max_tokens: 6,
    stream: true,
    stream_options: { include_usage: true },
  });
  let usage = null;
  for await (const chunk of stream) usage = chunk.usage ?? usage;
  assert.ok(usage);
  served.push({ key: null, prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens });
}

before(
  async () => {
    work_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-costs-'));
    state_dir = path.join(work_dir, 'state');
    const out = run_hearth(['keys', 'create', '--state-dir', state_dir, '--name', 'alice', '--class', 'internal']);
    alice = out.split('\n').find((line) => /^hk-[A-Za-z0-9]{40}$/.test(line));
    assert.ok(alice, out);
    config = path.join(work_dir, 'hearth.toml');
    fs.writeFileSync(
      config,
      `models_dir = "${test_models_dir()}"

[costs]
node = "test-node"
purchase_usd = "4500"
life_months = 48
watts_load = 60
watts_idle = 7
kwh_usd = "0.30"
gpu_hourly_usd = "3"

[[costs.compare]]
name = "frontier"
input_usd_per_mtok = "3"
output_usd_per_mtok = "15"
`,
    );
    server = await HearthServer.start(['--config', config, '--state-dir', state_dir]);
  },
  { timeout: 60_000 },
);

after(async () => {
  await server?.stop();
  fs.rmSync(work_dir, { recursive: true, force: true });
});

describe('costs', { timeout: 120_000 }, () => {
  it('records every local request and prices it exactly', async () => {
    await chat(alice, 'one');
    await chat(alice, 'two two');
    await chat(undefined, 'three three three');
    await stream_chat('four');
    const res = await server.fetch(`/hearth/v1/costs?month=${this_month()}`);
    assert.equal(res.status, 200);
    const costs = await res.json();
    assert.equal(costs.object, 'hearth.costs');
    assert.equal(costs.month, this_month());
    assert.equal(costs.node, 'test-node');
    const total = costs.total;
    const prompt = served.reduce((sum, row) => sum + row.prompt_tokens, 0);
    const completion = served.reduce((sum, row) => sum + row.completion_tokens, 0);
    assert.equal(total.local.requests, 4);
    assert.equal(total.local.prompt_tokens, prompt);
    assert.equal(total.local.completion_tokens, completion);
    assert.ok(total.local.wall_us > 0);
    assert.equal(total.cloud.requests, 0);
    assert.equal(total.cloud.spend_udollars, 0);

    // The prices, re-derived: pico-dollars per formula, rounded once to micro-dollars.
    const wall = BigInt(total.local.wall_us);
    const capex_pd = round(4_500_000_000n * wall, 48n * 2_629_800n);
    const energy_pd = round(60_000n * wall * 300_000n, 3_600_000_000n);
    const local_pd = capex_pd + energy_pd;
    assert.equal(BigInt(total.local.capex_udollars), round(capex_pd, 1_000_000n));
    assert.equal(BigInt(total.local.energy_udollars), round(energy_pd, 1_000_000n));
    assert.equal(BigInt(total.local.cost_udollars), round(local_pd, 1_000_000n));
    assert.equal(BigInt(total.local.cost_per_mtok_udollars), round(local_pd, BigInt(prompt + completion)));
    const [frontier, gpu] = total.counterfactual;
    assert.equal(frontier.name, 'frontier');
    assert.equal(frontier.cost_udollars, prompt * 3 + completion * 15); // whole dollars per 1M: exact
    assert.equal(BigInt(frontier.savings_udollars), round(BigInt(prompt * 3 + completion * 15) * 1_000_000n - local_pd, 1_000_000n));
    assert.equal(gpu.name, 'rented-gpu');
    assert.equal(BigInt(gpu.cost_udollars), round(round(3_000_000n * wall, 3600n), 1_000_000n));

    assert.deepEqual(
      costs.by_model.map((line) => [line.name, line.local.requests]),
      [['tiny', 4]],
    );
    assert.deepEqual(
      costs.by_key.map((line) => [line.name, line.local.requests]),
      [[null, 2], ['alice', 2]],
    );
    const alice_prompt = served.filter((row) => row.key === 'alice').reduce((sum, row) => sum + row.prompt_tokens, 0);
    assert.equal(costs.by_key[1].local.prompt_tokens, alice_prompt);
    assert.deepEqual(
      costs.by_node.map((line) => line.name),
      ['test-node'],
    );
    assert.equal(costs.hardware.month_capex_udollars, 93_750_000);
    assert.equal(costs.hardware.within_life, true);

    // The CLI prints the same object from the same file.
    const cli = JSON.parse(
      run_hearth(['costs', '--json', '--month', this_month(), '--config', config, '--state-dir', state_dir]),
    );
    assert.deepEqual(cli, costs);
  });

  it('reports an empty month and refuses a bad one naming the parameter', async () => {
    const empty = await (await server.fetch('/hearth/v1/costs?month=2020-01')).json();
    assert.equal(empty.total.local.requests, 0);
    assert.equal(empty.total.local.cost_per_mtok_udollars, null);
    for (const query of ['month=2026-13', 'month=26-11', 'month=2026-11&month=2026-10']) {
      const res = await server.fetch(`/hearth/v1/costs?${query}`);
      assert.equal(res.status, 400, query);
      const body = await res.json();
      assert.equal(body.error.param, 'month', query);
    }
    const unknown = await server.fetch('/hearth/v1/costs?monthh=2026-11');
    assert.equal(unknown.status, 400);
    assert.match((await unknown.json()).error.message, /Unknown query parameter 'monthh'/);
    assert.equal((await server.fetch('/hearth/v1/costs', { method: 'POST', json: {} })).status, 405);
  });

  it('hearth tco reproduces the story and draws it', () => {
    const svg = path.join(work_dir, 'tco.svg');
    const tco = JSON.parse(
      run_hearth([
        'tco', '--capex', '4500', '--life-months', '48', '--watts', '60', '--kwh', '0.30',
        '--gpu-hourly', '3', '--tps', '30', '--json', '--svg', svg,
      ]),
    );
    assert.equal(tco.break_even_month, 3);
    assert.equal(tco.break_even_day, 63);
    assert.equal(tco.rent_month_udollars, 2_191_500_000);
    assert.equal(tco.energy_month_udollars, 13_149_000);
    assert.equal(tco.owned_per_mtok_udollars, 1_354_970);
    assert.equal(tco.months.length, 49);
    const drawing = fs.readFileSync(svg, 'utf8');
    assert.match(drawing, /^<\?xml/);
    assert.match(drawing, /<polyline id="owned"/);
    assert.match(drawing, /<polyline id="rented"/);
    assert.match(drawing, /break-even: month 3/);

    assert.throws(
      () => execFileSync(hearth_bin, ['tco', '--capex', '4500', '--life-months', '0', '--watts', '60', '--kwh', '0.3', '--gpu-hourly', '3'], { stdio: 'pipe' }),
      (error) => /--life-months must be a number from 1 to 600/.test(error.stderr.toString()),
    );
  });
});
