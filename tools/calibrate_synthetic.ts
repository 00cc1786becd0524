/**
 * `deno run -A tools/calibrate_synthetic.ts [--seed 42] [--no-baseline] [--real ../shared/data]`
 *
 * Prints ONE JSON object comparing the stylised facts of real data with the synthetic
 * market's presets, and the fixed-rule baseline's Sharpe on the default train / validation /
 * test split of the `realistic` (default) market, run through the same backtest as the RL
 * agents:
 *
 * - `real`: BTCUSDT 5-minute bars (Bybit linear, 2025-04 → 07) for the return facts, Binance
 *   BTCUSDT 8-hourly funding (2020–2023) for funding, Binance ETHUSDT 5-minute metrics (2022)
 *   for the open-interest change. Read from `--real` (default `../shared/data`); left out
 *   (`"real": null`) when the folder is absent — a fresh clone has no real data.
 * - `realistic` / `learning`: the same facts for `generateSyntheticMarket({ preset, seed })`.
 * - `baseline`: total return, annualised Sharpe and trade count of `FixedRuleBaseline` per
 *   split (needs the walk-forward ML signals; they are cached in `data/cache`, first build
 *   ~5 min on a free core). `--no-baseline` skips it.
 *
 * The calibration targets and the chosen parameters are documented in `lib/data/synthetic.ts`
 * (`REALISTIC_SYNTHETIC_PARAMS`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  generateSyntheticMarket,
  loadFunding,
  loadOhlcvCsv,
  loadOpenInterest,
  type SyntheticPresetName,
} from "../lib/data/mod.ts";
import {
  fundingFacts,
  oiLogChangeStd,
  type StylizedFacts,
  stylizedFacts,
} from "../lib/data/stylized_facts.ts";
import { periodsPerYear } from "../lib/util/calendar.ts";
import { backtest, FixedRuleBaseline } from "../lib/backtest/mod.ts";
import { buildTradingSetup } from "../lib/experiment/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "42" },
    real: { type: "string", default: "../shared/data" },
    "no-baseline": { type: "boolean", default: false },
  },
});
const seed = Number(values.seed);
const P = periodsPerYear("5m", "crypto");

function round(x: unknown): unknown {
  if (typeof x === "number") {
    if (Number.isInteger(x)) return x;
    return Number.isFinite(x) ? Number(x.toPrecision(4)) : null;
  }
  if (x && typeof x === "object") {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, round(v)]));
  }
  return x;
}

async function realFacts(dir: string): Promise<Record<string, unknown> | null> {
  try {
    await Deno.stat(dir);
  } catch {
    return null;
  }
  const btc = await loadOhlcvCsv(`${dir}/bybit-linear-BTCUSDT-5m-2025-04-to-07.csv`);
  const f = await loadFunding(`${dir}/binance-um-BTCUSDT-funding-8h-2020-2023.csv`);
  const oi = await loadOpenInterest(`${dir}/binance-um-ETHUSDT-metrics-5m-2022.csv`);
  const facts: StylizedFacts = stylizedFacts(btc, { periodsPerYear: P });
  return {
    ...facts,
    funding: fundingFacts(f.value),
    oiLogChangeStd: oiLogChangeStd(oi.value),
    sources: {
      returns: "bybit-linear-BTCUSDT-5m-2025-04-to-07.csv",
      funding: "binance-um-BTCUSDT-funding-8h-2020-2023.csv",
      openInterest: "binance-um-ETHUSDT-metrics-5m-2022.csv",
    },
  };
}

const synth = (preset: SyntheticPresetName) =>
  stylizedFacts(generateSyntheticMarket({ preset, seed }), { periodsPerYear: P });

const out: Record<string, unknown> = {
  seed,
  real: await realFacts(values.real!),
  realistic: synth("realistic"),
  learning: synth("learning"),
};

if (!values["no-baseline"]) {
  for (const data of ["synthetic", "synthetic:learning"]) {
    const setup = await buildTradingSetup({ data, dataSeed: seed }); // signals cached in data/cache
    const rows: Record<string, unknown> = {};
    for (const split of ["train", "validation", "test"] as const) {
      const r = backtest(new FixedRuleBaseline(), setup.makeEvalEnv(split), {
        periodsPerYear: setup.periodsPerYear,
      });
      const range = setup.split[split];
      rows[split] = {
        bars: range.end - range.start,
        days: ((range.end - range.start) * setup.market.intervalMs) / 86_400_000,
        totalReturn: r.metrics.totalReturn,
        sharpe: r.metrics.sharpe,
        maxDrawdown: r.metrics.maxDrawdown,
        trades: r.trades.length,
      };
    }
    out[data === "synthetic" ? "baselineRealistic" : "baselineLearning"] = rows;
  }
}

console.log(JSON.stringify(round(out)));
