// hearth's dashboard: polls this server's JSON routes and /metrics every few seconds and draws
// them into index.html. No framework, no build step, nothing fetched from elsewhere.
//
//   /hearth/v1/status   machine, memory budget, queue, models (and on a gateway its nodes, providers)
//   /metrics            per model: requests, time to first token, time per output token
//   /hearth/v1/costs    this month's cost report
//   /hearth/v1/egress   the most recent rows of the egress ledger
//
// "Recent" figures are the change between two polls: TTFT (recent) is the mean time to first
// token of the requests that finished since the previous poll, tok/s (recent) the inverse of
// their mean time per output token; each keeps its last value until newer requests finish.
//
// Everything the server sends is untrusted text (model names come from clients and from file
// names): it reaches the page through text nodes and textContent only, never as HTML.
// ?refresh=SECONDS (0.25 to 60, default 5) sets the poll interval.
'use strict';

const kDefaultRefreshS = 5;
const kEgressRows = 20;

function refresh_ms() {
  const asked = Number(new URLSearchParams(window.location.search).get('refresh'));
  const seconds = Number.isFinite(asked) && asked >= 0.25 && asked <= 60 ? asked : kDefaultRefreshS;
  return seconds * 1000;
}

// ---- formatting --------------------------------------------------------------------------------

function format_bytes(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit_idx = 0;
  while (Math.abs(value) >= 1024 && unit_idx + 1 < units.length) {
    value /= 1024;
    ++unit_idx;
  }
  return `${value.toFixed(unit_idx === 0 || value >= 100 ? 0 : 1)} ${units[unit_idx]}`;
}

// Integer micro-dollars as dollars: at least two decimals, up to six when they matter.
function format_udollars(udollars) {
  if (typeof udollars !== 'number' || !Number.isFinite(udollars)) return '–';
  let text = (udollars / 1e6).toFixed(6);
  while (text.endsWith('0') && text.length - text.indexOf('.') > 3) text = text.slice(0, -1);
  return `$${text}`;
}

function format_ms(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
  const ms = seconds * 1000;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
}

function format_rate(tps) {
  if (typeof tps !== 'number' || !Number.isFinite(tps) || tps <= 0) return '–';
  return tps >= 100 ? tps.toFixed(0) : tps.toFixed(1);
}

function format_count(n) {
  return typeof n === 'number' && Number.isFinite(n) ? String(n) : '–';
}

function format_utc(unix_ms) {
  if (typeof unix_ms !== 'number' || !Number.isFinite(unix_ms)) return '–';
  return new Date(unix_ms).toISOString().replace('T', ' ').slice(0, 19);
}

// ---- DOM: text only ----------------------------------------------------------------------------

// <tag> with attributes (set as attribute values, never parsed) and children (strings become
// text nodes).
function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function set_text(id, text) {
  document.getElementById(id).textContent = text;
}

// A table cell; `field` names it for tests and styles (data-field).
function cell(field, text, class_name = '') {
  const attributes = { 'data-field': field };
  if (class_name) attributes.class = class_name;
  return element('td', attributes, text);
}

// ---- Prometheus text format --------------------------------------------------------------------

// The samples of a /metrics body: [{name, labels: {name: value}, value}].
// ref: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
function parse_metrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const labels = {};
    let rest;
    let name;
    if (brace !== -1 && (space === -1 || brace < space)) {
      name = line.slice(0, brace);
      let pos = brace + 1;
      while (pos < line.length && line[pos] !== '}') {
        const eq = line.indexOf('="', pos);
        if (eq === -1) return samples; // not the format: stop rather than guess
        const label = line.slice(pos, eq);
        pos = eq + 2;
        let value = '';
        while (pos < line.length && line[pos] !== '"') {
          if (line[pos] === '\\' && pos + 1 < line.length) {
            const escaped = line[pos + 1];
            value += escaped === 'n' ? '\n' : escaped;
            pos += 2;
          } else {
            value += line[pos++];
          }
        }
        labels[label] = value;
        pos += 1; // the closing quote
        if (line[pos] === ',') pos += 1;
      }
      rest = line.slice(pos + 1);
    } else {
      name = line.slice(0, space);
      rest = line.slice(space);
    }
    samples.push({ name, labels, value: Number(rest.trim().split(' ')[0]) });
  }
  return samples;
}

// Per model: requests answered, and the sums and counts of the two latency histograms.
function metrics_by_model(samples) {
  const models = new Map();
  const entry = (model) => {
    if (!models.has(model)) {
      models.set(model, { requests: 0, ttft_sum: 0, ttft_count: 0, tpot_sum: 0, tpot_count: 0 });
    }
    return models.get(model);
  };
  for (const { name, labels, value } of samples) {
    const model = labels.model;
    if (model === undefined || model === '' || !Number.isFinite(value)) continue;
    if (name === 'hearth_http_requests_total') entry(model).requests += value;
    else if (name === 'hearth_time_to_first_token_seconds_sum') entry(model).ttft_sum += value;
    else if (name === 'hearth_time_to_first_token_seconds_count') entry(model).ttft_count += value;
    else if (name === 'hearth_time_per_output_token_seconds_sum') entry(model).tpot_sum += value;
    else if (name === 'hearth_time_per_output_token_seconds_count') entry(model).tpot_count += value;
  }
  return models;
}

// ---- what changed between polls ----------------------------------------------------------------

const history = {
  by_model: new Map(), // the previous poll's metrics_by_model
  generated: null, // {t_ms, tokens}: the previous poll's generated_tokens_total over local models
  recent: new Map(), // model -> {ttft_s, tps}: the latest "recent" figures
  live: { ttft_s: null, tps: null, throughput_tps: null },
};

function update_recent(by_model, status, now_ms) {
  let ttft_sum = 0;
  let ttft_count = 0;
  let tpot_sum = 0;
  let tpot_count = 0;
  for (const [model, now] of by_model) {
    const before = history.by_model.get(model) ?? { ttft_sum: 0, ttft_count: 0, tpot_sum: 0, tpot_count: 0 };
    const recent = history.recent.get(model) ?? { ttft_s: null, tps: null };
    const d_ttft_count = now.ttft_count - before.ttft_count;
    const d_tpot_count = now.tpot_count - before.tpot_count;
    if (d_ttft_count > 0) {
      recent.ttft_s = (now.ttft_sum - before.ttft_sum) / d_ttft_count;
      ttft_sum += now.ttft_sum - before.ttft_sum;
      ttft_count += d_ttft_count;
    }
    if (d_tpot_count > 0 && now.tpot_sum > before.tpot_sum) {
      recent.tps = d_tpot_count / (now.tpot_sum - before.tpot_sum);
      tpot_sum += now.tpot_sum - before.tpot_sum;
      tpot_count += d_tpot_count;
    }
    history.recent.set(model, recent);
  }
  if (ttft_count > 0) history.live.ttft_s = ttft_sum / ttft_count;
  if (tpot_count > 0 && tpot_sum > 0) history.live.tps = tpot_count / tpot_sum;
  history.by_model = by_model;

  let tokens = 0;
  for (const model of status.models ?? []) tokens += model.engine?.generated_tokens_total ?? 0;
  if (history.generated !== null && now_ms > history.generated.t_ms && tokens >= history.generated.tokens) {
    history.live.throughput_tps = ((tokens - history.generated.tokens) * 1000) / (now_ms - history.generated.t_ms);
  }
  history.generated = { t_ms: now_ms, tokens };
}

// ---- drawing -----------------------------------------------------------------------------------

function draw_header(status) {
  set_text('role', status.gateway ? 'gateway' : 'node');
  const machine = status.machine;
  set_text(
    'machine',
    machine ? `${machine.description} · ${machine.cores} cores · ${format_bytes(machine.ram_bytes)} RAM` : '',
  );
  set_text('updated', `updated ${new Date().toLocaleTimeString()}`);
}

function draw_memory(status) {
  const budget = status.memory?.budget_bytes ?? 0;
  set_text('memory-committed', format_bytes(status.memory?.committed_bytes));
  set_text('memory-budget', format_bytes(budget));
  const bar = document.getElementById('memory-bar');
  const segments = [];
  for (const model of status.models ?? []) {
    if (model.state !== 'resident' && model.state !== 'loading') continue;
    const share = budget > 0 ? Math.min(100, (model.planned_bytes / budget) * 100) : 0;
    const segment = element('div', { class: `segment ${model.state}`, title: `${model.id}: ${format_bytes(model.planned_bytes)}` });
    segment.style.width = `${share.toFixed(2)}%`; // CSSOM, which the style-src policy allows
    segments.push(segment);
  }
  bar.replaceChildren(...segments);
}

function draw_queue(status) {
  set_text('queue-running', format_count(status.queue?.running));
  set_text('queue-waiting', format_count(status.queue?.waiting));
}

function draw_live() {
  set_text('live-tps', format_rate(history.live.tps));
  set_text('live-ttft', format_ms(history.live.ttft_s));
  const throughput = history.live.throughput_tps;
  set_text('live-throughput', throughput === null ? '–' : throughput.toFixed(1));
}

// The nodes of a gateway's fleet that list `model_id`, as "a, b".
function serving_nodes(status, model_id) {
  const names = [];
  for (const node of status.gateway?.nodes ?? []) if (node.models?.includes(model_id)) names.push(node.name);
  return names.join(', ');
}

// What a model id that this node does not serve stands for. A gateway counts the requests it
// routed under "node:NAME/MODEL" or "PROVIDER/MODEL" (the target that answered).
function remote_state(status, id) {
  const on_node = /^node:([^/]+)\/./.exec(id);
  if (on_node) return `routed to node ${on_node[1]}`;
  const slash = id.indexOf('/');
  const providers = status.gateway?.providers ?? [];
  if (slash > 0 && providers.some((provider) => provider.name === id.slice(0, slash))) {
    return `routed to ${id.slice(0, slash)} (cloud)`;
  }
  const nodes = serving_nodes(status, id);
  return nodes ? `on ${nodes}` : 'requested';
}

function draw_models(status, by_model) {
  const local = new Map((status.models ?? []).map((model) => [model.id, model]));
  const ids = [...new Set([...local.keys(), ...by_model.keys()])].sort();
  const rows = [];
  for (const id of ids) {
    const model = local.get(id);
    const counted = by_model.get(id);
    const recent = history.recent.get(id) ?? {};
    const engine = model?.engine ?? null;
    let state = '';
    if (model) {
      state = model.state === 'invalid' && model.invalid_reason ? `invalid: ${model.invalid_reason}` : model.state;
    } else {
      state = remote_state(status, id);
    }
    const held = engine?.memory
      ? engine.memory.weights_bytes + engine.memory.cache_bytes + engine.memory.scratch_bytes
      : null;
    const memory = model ? (held !== null ? format_bytes(held) : `(${format_bytes(model.planned_bytes)})`) : '';
    rows.push(
      element(
        'tr',
        { 'data-model': id, class: model?.state ?? 'remote' },
        cell('id', id),
        cell('state', state),
        cell('memory', memory, 'num'),
        cell('running', engine ? format_count(engine.running) : '', 'num'),
        cell('waiting', engine ? format_count(engine.waiting) : '', 'num'),
        cell('requests', counted ? format_count(counted.requests) : '0', 'num'),
        cell('ttft-recent', format_ms(recent.ttft_s), 'num'),
        cell('ttft-mean', counted && counted.ttft_count > 0 ? format_ms(counted.ttft_sum / counted.ttft_count) : '–', 'num'),
        cell('decode-tps', format_rate(engine?.decode_tps), 'num'),
        cell('tokens-out', engine ? format_count(engine.generated_tokens_total) : '', 'num'),
      ),
    );
  }
  if (rows.length === 0) rows.push(element('tr', {}, element('td', { colspan: 10, class: 'muted' }, 'no models')));
  document.getElementById('models').replaceChildren(...rows);
}

function circuit_text(circuit) {
  if (!circuit) return '';
  if (circuit.open) return `open for ${(circuit.open_for_ms / 1000).toFixed(1)} s`;
  return circuit.failures > 0 ? `closed (${circuit.failures} failures)` : 'closed';
}

function draw_fleet(status) {
  const fleet = document.getElementById('fleet');
  const gateway = status.gateway;
  fleet.hidden = !gateway;
  if (!gateway) return;
  const nodes = (gateway.nodes ?? []).map((node) =>
    element(
      'tr',
      { 'data-node': node.name, class: node.up ? 'up' : 'down' },
      element('td', { 'data-field': 'name' }, node.name, element('div', { class: 'muted' }, node.url)),
      cell('state', node.up ? 'up' : `down: ${node.down_reason ?? ''}`),
      cell('resident', (node.resident ?? []).join(', ')),
      cell('models', (node.models ?? []).join(', ')),
      cell('running', format_count(node.queue?.running), 'num'),
      cell('waiting', format_count(node.queue?.waiting), 'num'),
      cell('circuit', circuit_text(node.circuit)),
    ),
  );
  if (nodes.length === 0) nodes.push(element('tr', {}, element('td', { colspan: 7, class: 'muted' }, 'no nodes')));
  document.getElementById('nodes').replaceChildren(...nodes);
  const providers = (gateway.providers ?? []).map((provider) =>
    element(
      'tr',
      { 'data-provider': provider.name },
      cell('name', provider.name),
      cell('kind', provider.kind),
      cell('circuit', circuit_text(provider.circuit)),
    ),
  );
  if (providers.length === 0) {
    providers.push(element('tr', {}, element('td', { colspan: 3, class: 'muted' }, 'no providers')));
  }
  document.getElementById('providers').replaceChildren(...providers);
}

function draw_costs(costs) {
  const total = costs.total;
  const local = total?.local ?? {};
  const cloud = total?.cloud ?? {};
  set_text('cost-total', format_udollars((local.cost_udollars ?? 0) + (cloud.spend_udollars ?? 0)));
  const tokens = (local.prompt_tokens ?? 0) + (local.completion_tokens ?? 0);
  let detail = `${costs.month}: local ${format_udollars(local.cost_udollars)} for ${tokens} tokens · cloud ${format_udollars(cloud.spend_udollars)}`;
  const counterfactual = total?.counterfactual?.[0];
  if (counterfactual) detail += ` · at ${counterfactual.name} the local work would cost ${format_udollars(counterfactual.cost_udollars)}`;
  set_text('cost-detail', detail);
}

function draw_egress(egress) {
  const rows = (egress.data ?? []).map((row) =>
    element(
      'tr',
      { 'data-egress-id': row.id, class: row.status },
      cell('time', format_utc(row.ts_unix_ms)),
      cell('key', row.key ?? '—'),
      cell('class', row.data_class),
      cell('provider', row.provider),
      cell('model', row.model),
      cell('prompt-tokens', format_count(row.prompt_tokens), 'num'),
      cell('completion-tokens', format_count(row.completion_tokens), 'num'),
      cell('cost', format_udollars(row.cost_udollars), 'num'),
      cell('status', row.status),
    ),
  );
  if (rows.length === 0) rows.push(element('tr', {}, element('td', { colspan: 9, class: 'muted' }, 'nothing has left')));
  document.getElementById('egress').replaceChildren(...rows);
}

// ---- polling -----------------------------------------------------------------------------------

// GET `route` as JSON or text; throws an Error whose message a person can act on.
async function get(route, as_text = false) {
  let response;
  try {
    response = await fetch(route, { cache: 'no-store', credentials: 'same-origin' });
  } catch {
    throw new Error(`${route}: the server cannot be reached`);
  }
  if (response.status === 401) throw new Error(`${route}: this server needs an API key; reload the page and give the key as the password`);
  if (!response.ok) {
    let why = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      if (typeof body?.error?.message === 'string') why = body.error.message;
    } catch {
      // not JSON: the status says enough
    }
    throw new Error(`${route}: ${why}`);
  }
  return as_text ? response.text() : response.json();
}

async function poll() {
  const problems = [];
  const [status, metrics, costs, egress] = await Promise.all(
    [
      get('/hearth/v1/status'),
      get('/metrics', true),
      get('/hearth/v1/costs'),
      get(`/hearth/v1/egress?limit=${kEgressRows}`),
    ].map((pending) =>
      pending.catch((error) => {
        problems.push(error.message);
        return null;
      }),
    ),
  );
  const by_model = metrics !== null ? metrics_by_model(parse_metrics(metrics)) : history.by_model;
  if (status !== null) {
    update_recent(by_model, status, Date.now());
    draw_header(status);
    draw_memory(status);
    draw_queue(status);
    draw_fleet(status);
    draw_models(status, by_model);
    draw_live();
  }
  if (costs !== null) draw_costs(costs);
  if (egress !== null) draw_egress(egress);
  const problem = document.getElementById('problem');
  problem.textContent = problems.join('\n');
  problem.hidden = problems.length === 0;
}

async function run() {
  const interval_ms = refresh_ms();
  for (;;) {
    await poll();
    await new Promise((resolve) => setTimeout(resolve, interval_ms));
  }
}

run();
