/**
 * `tradingOutcomeNote`: what notebooks 04 and 07 say up front about a run's trades, computed
 * from the run's configuration and counts (not hard-coded): a zero-trade run under the
 * specification's reward is called the reward's expected outcome, with its drawdown weight
 * and Sharpe bonus as configured, and points to the preset that trades; a zero-trade run
 * whose reward has no drawdown term is NOT excused that way; a run with trades says how many.
 * Cannot catch: a wrong claim in the preset's own documentation.
 */
import assert from "node:assert/strict";
import { resolveRunConfig } from "../lib/experiment/config.ts";
import { tradingOutcomeNote } from "../lib/report/run_summary.ts";

Deno.test("outcome note: zero trades under the specification's reward is its expected outcome", () => {
  const spec = resolveRunConfig({ agent: "ppo", timesteps: 150_000 });
  const n = tradingOutcomeNote({ trades: 0, actionCounts: [900, 0, 0, 0, 0, 0], config: spec });
  assert.match(
    n,
    /^PPO made no trade on the validation split \(100\.0 % of its 900 decisions were HOLD\)/,
  );
  assert.match(n, /expected outcome of the specification's reward/);
  assert.match(n, new RegExp(`charges −${spec.reward.drawdown.weight} × the current drawdown`));
  assert.match(n, new RegExp(`Sharpe bonus \\(\\+${spec.reward.sharpe.weight} while`));
  assert.match(n, /deno task train --preset synthetic-ppo/);
  // the weight is read from the run: a heavier drawdown term shows its own weight
  const heavy = resolveRunConfig({
    reward: { drawdown: { weight: 9 }, sharpe: { enabled: false } },
  });
  const h = tradingOutcomeNote({ trades: 0, config: heavy });
  assert.match(h, /charges −9 × the current drawdown/);
  assert.doesNotMatch(h, /Sharpe bonus/);
});

Deno.test("outcome note: zero trades without a drawdown term is not blamed on the reward", () => {
  const preset = resolveRunConfig({ timesteps: 4096, normObs: false }, { preset: "synthetic-ppo" });
  const n = tradingOutcomeNote({ trades: 0, config: preset });
  assert.doesNotMatch(n, /expected outcome/);
  assert.match(n, /no drawdown-level term/);
  assert.match(n, /raw observations/);
  assert.match(n, /a short budget \(4,096 steps\)/);
});

Deno.test("outcome note: a run that trades says how many", () => {
  const cfg = JSON.parse(JSON.stringify(resolveRunConfig({ agent: "a2c" }))); // as config.json
  assert.equal(
    tradingOutcomeNote({ trades: 42, actionCounts: [50, 25, 25, 0, 0, 0], config: cfg }),
    "A2C made 42 closed trades on the validation split (50.0 % of its 100 decisions were HOLD).",
  );
});
