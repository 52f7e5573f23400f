#!/usr/bin/env python3
"""Helpers of bench/gateway_bench.sh: CPU snapshots of processes, one result line per run, the table.

  report.py snapshot PID...            per-thread CPU ticks of the processes and their children, as JSON
  report.py record BEFORE AFTER WALL_S LOAD_GEN_JSON [key=value...]
                                        one result line: the load tool's figures plus CPU use per role
  report.py table RESULTS.jsonl         the markdown table and the target ratios
"""
import json
import os
import sys

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
# A run counts as sustained when it got this share of the asked rate with no error and no request
# left unanswered, and its p99 stayed below SUSTAINED_P99_MS: a queue that grows for the whole run
# shows up as p99 in the hundreds of milliseconds even where the achieved rate looks close.
SUSTAINED_RATE_SHARE = 0.98
SUSTAINED_P99_MS = 50.0
TARGETS = ["direct", "nginx", "portkey", "hearth"]


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def thread_ticks(pid):
    ticks = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return ticks
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after the parenthesized name; utime and stime are fields 14 and 15.
        fields = stat[stat.rindex(")") + 2:].split()
        ticks[tid] = int(fields[11]) + int(fields[12])
    return ticks


def snapshot(pids):
    # role=pid pairs; nginx masters are followed to their workers.
    out = {}
    for arg in pids:
        role, pid = arg.split("=")
        pid = int(pid)
        threads = {}
        for p in [pid] + children(pid):
            threads.update({f"{p}/{tid}": t for tid, t in thread_ticks(p).items()})
        out[role] = threads
    return out


def record(before_path, after_path, wall_s, load_gen_json, extras):
    with open(before_path) as f:
        before = json.load(f)
    with open(after_path) as f:
        after = json.load(f)
    result = json.loads(load_gen_json)
    for role, threads in after.items():
        deltas = [t - before.get(role, {}).get(tid, 0) for tid, t in threads.items()]
        total = sum(deltas) / TICKS_PER_S / wall_s * 100
        top = max(deltas, default=0) / TICKS_PER_S / wall_s * 100
        result[f"{role}_cpu_pct"] = round(total, 1)
        result[f"{role}_top_thread_cpu_pct"] = round(top, 1)
    for extra in extras:
        key, value = extra.split("=", 1)
        try:
            result[key] = json.loads(value)
        except json.JSONDecodeError:
            result[key] = value
    return result


def sustained(r):
    return (r["rate_achieved"] >= SUSTAINED_RATE_SHARE * r["rate_asked"] and r["errors"] == 0
            and r["unfinished"] == 0 and r["p99_ms"] < SUSTAINED_P99_MS)


def table(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    by_rate = {}
    for r in rows:
        by_rate.setdefault(r["rate_asked"], {})[r["target"]] = r
    print("| target | rate asked | rate achieved | p50 ms | p99 ms | p99.9 ms | errors | unfinished | added p99 ms | "
          "target CPU % (top thread) | mock CPU % | load tool CPU % | sustained |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rate in sorted(by_rate):
        runs = by_rate[rate]
        direct = runs.get("direct")
        for target in TARGETS:
            r = runs.get(target)
            if r is None:
                continue
            added = f"{r['p99_ms'] - direct['p99_ms']:.2f}" if direct and target != "direct" else "-"
            bound = ""
            cpu = "-" if target == "direct" else f"{r.get('target_cpu_pct', 0):.0f} ({r.get('target_top_thread_cpu_pct', 0):.0f})"
            # With requests left unanswered the percentiles are lower bounds (load_gen.cpp).
            bound = ">= " if r.get("latency_lower_bound") else ""
            print(f"| {target} | {rate:.0f} | {r['rate_achieved']:.0f} | {bound}{r['p50_ms']:.2f} | {bound}{r['p99_ms']:.2f} | "
                  f"{bound}{r['p999_ms']:.2f} | {r['errors']} | {r['unfinished']} | {bound}{added} | {cpu} | "
                  f"{r.get('mock_cpu_pct', 0):.0f} | {r['load_gen_cpu_pct']:.0f} | {'yes' if sustained(r) else 'no'} |")
    print()
    print("| rate asked | hearth added p99 ms | nginx added p99 ms | portkey added p99 ms | hearth / nginx (target <= 1.5) "
          "| hearth / portkey (target <= 0.1) |")
    print("|---|---|---|---|---|---|")
    for rate in sorted(by_rate):
        runs = by_rate[rate]
        if not all(t in runs for t in TARGETS):
            continue
        added = {t: runs[t]["p99_ms"] - runs["direct"]["p99_ms"] for t in TARGETS[1:]}

        def ratio(a, b):
            if not sustained(runs[a]):
                return "hearth not sustained" if a == "hearth" else "-"
            if added[b] <= 0:
                return "n/a (denominator <= 0)"
            note = "" if sustained(runs[b]) else f" ({b} not sustained)"
            return f"{added[a] / added[b]:.3g}{note}"

        print(f"| {rate:.0f} | {added['hearth']:.2f} | {added['nginx']:.2f} | {added['portkey']:.2f} | "
              f"{ratio('hearth', 'nginx')} | {ratio('hearth', 'portkey')} |")
    print()
    print(f"sustained: achieved >= {SUSTAINED_RATE_SHARE:.0%} of the asked rate, no errors, nothing unanswered, "
          f"p99 < {SUSTAINED_P99_MS:.0f} ms")


def main(argv):
    if len(argv) >= 2 and argv[1] == "snapshot":
        print(json.dumps(snapshot(argv[2:])))
    elif len(argv) >= 6 and argv[1] == "record":
        print(json.dumps(record(argv[2], argv[3], float(argv[4]), argv[5], argv[6:])))
    elif len(argv) == 3 and argv[1] == "table":
        table(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
