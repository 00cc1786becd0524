/**
 * Live-loop building blocks benchmark. Prints ONE JSON line:
 * `{"bench":"live", …}`.
 *
 * - `incremental_features_bars_per_s`: `IncrementalFeatures.push` over one year of 5-minute
 *   synthetic bars (105,120), one bar at a time (the live path); `batch_features_s` is
 *   `computeFeatures` on the same bars, for comparison.
 * - `journal_<sync>_<mode>_bars_per_s`: journaling one bar's worth of rows (bar, decision with
 *   probabilities, equity) per bar, either one transaction per row (`per_row`) or one per bar
 *   (`per_bar`), with `synchronous = FULL` (survives power loss) and `NORMAL` (survives a
 *   process kill). FULL runs fewer bars (each commit waits for the disk).
 * - `scheduler_year_ms`: simulating one US-equity year of the five jobs (every occurrence
 *   fired) on a SimulatedClock.
 *
 * Run: `deno task bench:live` (about 10–30 s).
 */
import { generateSyntheticMarket } from "@lib/data/mod.ts";
import { computeFeatures } from "@lib/features/mod.ts";
import { IncrementalFeatures } from "@lib/live/mod.ts";
import { Journal } from "@lib/live/mod.ts";
import { SimulatedClock } from "@lib/live/mod.ts";
import { TradingScheduler } from "@lib/live/mod.ts";

const md = generateSyntheticMarket({ seed: 42, bars: 105_120 });
const n = md.time.length;

let t0 = performance.now();
computeFeatures(md);
const batchS = (performance.now() - t0) / 1000;

const inc = new IncrementalFeatures();
t0 = performance.now();
let valid = 0;
for (let i = 0; i < n; i++) {
  const step = inc.push({
    time: md.time[i],
    open: md.open[i],
    high: md.high[i],
    low: md.low[i],
    close: md.close[i],
    volume: md.volume[i],
    openInterest: md.openInterest![i],
    fundingRate: md.fundingRate![i],
  });
  if (step.valid) valid++;
}
const incS = (performance.now() - t0) / 1000;

const dir = await Deno.makeTempDir({ prefix: "live_bench_" });
function journalRate(sync: "FULL" | "NORMAL", mode: "per_row" | "per_bar", bars: number): number {
  const j = Journal.open(`${dir}/${sync}_${mode}.sqlite`, { synchronous: sync });
  const probs = [0.2, 0.3, 0.5];
  const write = (i: number) => {
    j.recordBar({
      symbol: "S",
      interval: "5m",
      openTimeMs: md.time[i],
      open: md.open[i],
      high: md.high[i],
      low: md.low[i],
      close: md.close[i],
      volume: md.volume[i],
      receivedMs: md.time[i] + 300_000,
    });
    j.recordDecision({
      tsMs: md.time[i] + 300_000,
      agent: "a",
      symbol: "S",
      barTimeMs: md.time[i],
      obsHash: "0".repeat(64),
      action: 2,
      probs,
      decision: "held",
    });
    j.recordEquity({ tsMs: md.time[i] + 300_000, agent: "a", equity: 2000 + i });
  };
  const t = performance.now();
  for (let i = 0; i < bars; i++) {
    if (mode === "per_bar") j.transaction(() => write(i));
    else write(i);
  }
  const s = (performance.now() - t) / 1000;
  j.close();
  return Math.round(bars / s);
}
const journal = {
  journal_FULL_per_row_bars_per_s: journalRate("FULL", "per_row", 1_000),
  journal_FULL_per_bar_bars_per_s: journalRate("FULL", "per_bar", 2_000),
  journal_NORMAL_per_row_bars_per_s: journalRate("NORMAL", "per_row", 10_000),
  journal_NORMAL_per_bar_bars_per_s: journalRate("NORMAL", "per_bar", 10_000),
};
await Deno.remove(dir, { recursive: true });

const start = Date.UTC(2026, 0, 1);
const clock = new SimulatedClock(start);
let fired = 0;
const count = () => {
  fired++;
};
t0 = performance.now();
await new TradingScheduler({ market: "us_equity" }, {
  pre_market_warmup: count,
  market_open: count,
  close_flatten: count,
  recurring: count,
  daily_report: count,
}, { clock, resumeFromMs: start }).runUntil(Date.UTC(2027, 0, 1));
const schedMs = performance.now() - t0;

console.log(JSON.stringify({
  bench: "live",
  bars: n,
  valid_rows: valid,
  batch_features_s: +batchS.toFixed(3),
  incremental_features_s: +incS.toFixed(3),
  incremental_features_bars_per_s: Math.round(n / incS),
  ...journal,
  scheduler_year_ms: Math.round(schedMs),
  scheduler_year_occurrences: fired,
}));
