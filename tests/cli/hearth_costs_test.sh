#!/usr/bin/env bash
# `hearth costs` and `hearth tco` as a user runs them: the story's numbers in
# text and JSON, the SVG plot, an empty month, and the plain-sentence refusals
# naming the flag or the config key. (Priced ledgers: tests/ledger/cost_report_test.cpp;
# a served month from outside: tests/api/costs_test.mjs.)
# Usage: hearth_costs_test.sh BUILD/hearth
set -u
. "$(dirname "$0")/cli_checks.sh"

story=(tco --capex 4500 --life-months 48 --watts 60 --kwh 0.30 --gpu-hourly 3)
"$hearth" "${story[@]}" --tps 30 --svg "$work/tco.svg" >"$work/tco.out" 2>"$work/tco.err"
check "tco succeeds" test $? -eq 0
check "tco prints the break-even" grep -q "Break-even: month 3 (day 63)" "$work/tco.out"
check "tco prints the monthly rent" grep -q "Rented GPU per month: *\$2191.500000" "$work/tco.out"
check "tco prints the energy" grep -q "Energy per month (owned): \$13.149000" "$work/tco.out"
check "tco prints cost per 1M tokens" grep -q "per 1M tokens: owned \$1.354970, rented \$27.777778" "$work/tco.out"
check "tco writes an SVG" grep -q "<svg xmlns=\"http://www.w3.org/2000/svg\"" "$work/tco.svg"
check "the SVG marks the break-even" grep -q "break-even: month 3" "$work/tco.svg"
"$hearth" "${story[@]}" --utilization 0.04 --json >"$work/tco.json"
check "tco --json at low utilization" grep -q '"break_even_month": 61' "$work/tco.json"
check "tco --json says past the life" grep -q '"break_even_within_life": false' "$work/tco.json"
"$hearth" tco --capex 4500 --life-months 48 --watts 60 --kwh 0.30 --gpu-hourly 0.01 >"$work/never.out"
check "tco says when renting never catches up" grep -q "Break-even: never" "$work/never.out"

expect_error "tco without --capex" "capex" tco --life-months 48 --watts 60 --kwh 0.3 --gpu-hourly 3
expect_error "tco with float-looking money" "--kwh: '0.3.0' is not an amount" "${story[@]/0.30/0.3.0}"
expect_error "tco life zero" "--life-months must be a number from 1 to 600" tco --capex 1 --life-months 0 --watts 1 --kwh 1 --gpu-hourly 1
expect_error "tco utilization above 1" "--utilization must be a number from 0.000001 to 1" "${story[@]}" --utilization 1.5
expect_error "tco negative watts" "--watts must be a number" tco --capex 1 --life-months 1 --watts=-5 --kwh 1 --gpu-hourly 1
expect_error "tco tps zero" "--tps must be a number from 0.001" "${story[@]}" --tps 0
expect_error "tco svg into a missing dir" "--svg: cannot write" "${story[@]}" --svg "$work/no/such/dir/x.svg"

# costs: no state yet is a plain refusal; an empty month once the state exists.
expect_error "costs without a state db" "no state database" costs
"$hearth" keys create --name z --class public >/dev/null
"$hearth" costs --month 2026-11 >"$work/costs.out" 2>"$work/costs.err"
check "costs of an empty month succeeds" test $? -eq 0
check "costs names the month" grep -q "Costs for 2026-11 (UTC)" "$work/costs.out"
check "costs without [costs] says the cost is unknown" grep -q "cost unknown" "$work/costs.out"
"$hearth" costs --month 2026-11 --json >"$work/costs.json"
check "costs --json is the API object" grep -q '"object": "hearth.costs"' "$work/costs.json"
expect_error "costs bad month" "--month: '2026-13' is not a month" costs --month 2026-13
printf '[costs]\npurchase_usd = 4500\nlife_months = 48\n' >"$work/float.toml"
expect_error "costs with a float price" "float.toml:2: \[costs\] purchase_usd must be a string of dollars" costs --config "$work/float.toml"
printf '[costs]\npurchase_usd = "4500"\n' >"$work/nolife.toml"
expect_error "costs without life_months" "needs both purchase_usd and life_months" costs --config "$work/nolife.toml"
printf '[costs]\nwatt_load = 60\n' >"$work/typo.toml"
expect_error "costs with a typo" "unknown key 'watt_load' in \[costs\]" costs --config "$work/typo.toml"
printf 'models_dir = "/m"\n[costs]\npurchase_usd = "4500"\nlife_months = 48\n[[providers]]\nname = "p"\nkind = "openai"\n' >"$work/ok.toml"
"$hearth" costs --config "$work/ok.toml" --json >"$work/ok.json" 2>"$work/ok.err"
check "costs reads a config shared with the node and gateway" test $? -eq 0
check "costs compares against the providers" grep -q '"name": "p"' "$work/ok.json"

finish_checks
