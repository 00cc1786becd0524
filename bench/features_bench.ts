/**
 * Features and signals benchmark on the seeded synthetic market. Prints ONE JSON line:
 * `{"bench":"features","features_1y_s":…,"signals_walkforward_s":…, …}`.
 *
 * - `features_1y_s`: `computeFeatures` on one year of 5-minute bars (105,120), the best of 3
 *   runs (goal < 1 s). Data generation is not timed.
 * - `signals_walkforward_s`: `buildSignals` with the defaults (5 walk-forward folds, MLP
 *   [32, 16], 8 epochs, tfjs cpu backend) on six months of 5-minute bars (52,560), one run
 *   (goal < 120 s). Its out-of-sample scores and the naive baselines' are reported too.
 *
 * Run: `deno task bench:features`.
 */
import { generateSyntheticMarket } from "../lib/data/mod.ts";
import { computeFeatures } from "../lib/features/mod.ts";
import { buildSignals } from "../lib/signals/mod.ts";

const year = generateSyntheticMarket({ seed: 42, bars: 105_120 });
let best = Infinity;
for (let k = 0; k < 3; k++) {
  const t0 = performance.now();
  computeFeatures(year);
  best = Math.min(best, (performance.now() - t0) / 1000);
}

const half = generateSyntheticMarket({ seed: 42, bars: 52_560 });
const fm = computeFeatures(half);
const t1 = performance.now();
const run = await buildSignals(half, fm, { folds: 5, seed: 1 });
const signalsS = (performance.now() - t1) / 1000;
const d = run.diagnostics;
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

console.log(JSON.stringify({
  bench: "features",
  features_1y_s: r4(best),
  features_bars: year.time.length,
  signals_walkforward_s: r4(signalsS),
  signals_bars: half.time.length,
  folds: run.model.folds.length,
  oos_rows: d.model.count,
  oos_accuracy: r4(d.model.accuracy),
  oos_balanced_accuracy: r4(d.model.balancedAccuracy),
  oos_log_loss: r4(d.model.logLoss),
  oos_ece: r4(d.ece),
  majority_accuracy: r4(d.majority.accuracy),
  majority_log_loss: r4(d.majority.logLoss),
  last_return_accuracy: r4(d.lastReturnSign.accuracy),
  last_return_balanced_accuracy: r4(d.lastReturnSign.balancedAccuracy),
}));
