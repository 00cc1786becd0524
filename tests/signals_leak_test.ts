/**
 * The leak test: on the synthetic market (which has a planted, learnable OI–price divergence
 * component) the out-of-sample signal must beat the naive baselines; with the training labels
 * shuffled it must not. A pipeline that leaks the future (features reading ahead, unpurged
 * label windows, a normaliser fitted on test rows, in-sample predictions) would let the
 * shuffled-label model look skilful or the real one look too good.
 */
import assert from "node:assert/strict";
import { generateSyntheticMarket } from "@lib/data/mod.ts";
import { computeFeatures } from "@lib/features/mod.ts";
import { buildSignals, formatReport, type SignalOptions } from "@lib/signals/mod.ts";

// Kept small for the suite (≈ 2–3 s per run): 16,000 five-minute bars (≈ 55 days), 3 folds.
const md = generateSyntheticMarket({ seed: 42, bars: 16_000 });
const fm = computeFeatures(md);
const OPTS: SignalOptions = { folds: 3, epochs: 5, seed: 1 };
let realRun: ReturnType<typeof buildSignals> | null = null;
const real = () => (realRun ??= buildSignals(md, fm, OPTS));

Deno.test("synthetic market: out-of-sample signal beats majority-class and last-return baselines", async () => {
  const d = (await real()).diagnostics;
  const msg = [d.model, d.majority, d.lastReturnSign].map((r, k) =>
    formatReport(["model", "majority", "last return"][k], r)
  ).join("\n");
  assert.ok(d.model.count > 10_000, msg);
  assert.ok(d.model.accuracy > d.majority.accuracy + 0.01, msg);
  assert.ok(d.model.accuracy > d.lastReturnSign.accuracy + 0.01, msg);
  const bestBaselineBal = Math.max(d.majority.balancedAccuracy, d.lastReturnSign.balancedAccuracy);
  assert.ok(d.model.balancedAccuracy > bestBaselineBal + 0.02, msg);
});

Deno.test("shuffled training labels: the signal does NOT beat the baselines (leak test)", async () => {
  const r = (await real()).diagnostics;
  const d = (await buildSignals(md, fm, { ...OPTS, shuffleLabels: true })).diagnostics;
  const msg = [d.model, d.majority, r.model].map((r, k) =>
    formatReport(["shuffled", "majority", "real"][k], r)
  ).join("\n");
  assert.ok(d.model.accuracy < d.majority.accuracy, msg);
  assert.ok(d.model.balancedAccuracy < 1 / 3 + 0.02, msg); // chance level
  assert.ok(d.model.logLoss > d.majority.logLoss, msg); // no information beyond the prior
  assert.ok(r.model.balancedAccuracy > d.model.balancedAccuracy + 0.03, msg);
  assert.ok(r.model.logLoss < d.model.logLoss, msg);
});
