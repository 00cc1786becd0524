/**
 * The shuffled-label test, on the `learning` synthetic market (strong planted OI–price
 * divergence component): the out-of-sample signal must beat the naive baselines; with the
 * training labels shuffled it must not.
 *
 * What it CAN catch: leaks through the LABELS or the evaluation — out-of-sample predictions
 * that are really in-sample (a fold trained on its own test rows), test labels reaching
 * training (unpurged label windows crossing into the test window), or a scoring bug that
 * compares predictions with the labels they were fitted to. With shuffled training labels
 * nothing learnable is left, so any skill then must come from such a leak.
 *
 * What it CANNOT catch: look-ahead FEATURES. A feature that reads future prices carries the
 * future in the inputs, not the labels; with shuffled labels the model still cannot use it
 * (so this test passes), and with real labels it only makes the model look better, which a
 * "beats the baseline" check rewards. Feature causality is tested where it can fail:
 * `tests/features_matrix_test.ts` ("causality": perturbing any bar after t leaves every
 * feature at rows ≤ t bit-identical) and `tests/signals_walk_forward_test.ts` ("no
 * look-ahead": changing bars after t leaves every signal at bars ≤ t identical). A normaliser fitted on test rows is also invisible
 * here (it shifts inputs, not labels) unless its effect is large.
 */
import assert from "node:assert/strict";
import { generateSyntheticMarket } from "@lib/data/mod.ts";
import { computeFeatures } from "@lib/features/mod.ts";
import { buildSignals, formatReport, type SignalOptions } from "@lib/signals/mod.ts";

// Kept small for the suite (≈ 2–3 s per run): 16,000 five-minute bars (≈ 55 days), 3 folds.
const md = generateSyntheticMarket({ preset: "learning", seed: 42, bars: 16_000 });
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
