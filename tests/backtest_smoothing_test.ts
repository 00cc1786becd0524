/**
 * EMA smoothing as an option of THE episode loop (`runEpisode`'s `smoothing: α`): on the
 * options env, a noisy policy (the reversal signal plus seeded noise, as a policy that has
 * learned the edge but reacts to every wiggle) trades less and whipsaws less when smoothed.
 *
 * What this cannot catch: whether smoothing HELPS a particular trained model's returns (that
 * depends on how noisy its output is; notebook 09 shows it on the trained agents).
 */
import assert from "node:assert/strict";
import { generateSyntheticOptionsMarket } from "../lib/data/mod.ts";
import { OPTIONS_OBSERVATION_NAMES, OptionsTradingEnv } from "../lib/env/mod.ts";
import type { ActOptions, ActResult, Policy } from "../lib/env/mod.ts";
import {
  evaluatePolicy,
  MomentumOptionsPolicy,
  optionsEpisode,
  runEpisode,
} from "../lib/backtest/mod.ts";
import { Rng } from "../lib/util/mod.ts";
import { FastEngine } from "../lib/agents/engines/fast/fast_engine.ts";
import { networkConfigFor } from "../lib/agents/common.ts";
import { NormalizedPolicy } from "../lib/agents/normalized_policy.ts";
import { SmoothedPolicy } from "../lib/agents/smoothing.ts";
import { CartPoleEnv } from "../lib/env/classic_control.ts";

const R12 = OPTIONS_OBSERVATION_NAMES.indexOf("return_12_pct");

/** tanh(−return_12 / 0.2) + N(0, 0.7²) clipped to [−1, 1], seeded, restartable. */
class NoisyReversal implements Policy {
  readonly name = "noisy_reversal";
  #rng = new Rng(11);
  reset(): void {
    this.#rng = new Rng(11);
  }
  act(obs: Float64Array, _o?: ActOptions): ActResult {
    const a = Math.tanh(-obs[R12] / 0.2) + 0.7 * this.#rng.normal();
    return {
      actions: Float64Array.of(Math.max(-1, Math.min(1, a))),
      logProb: new Float64Array(1),
      value: new Float64Array(1),
    };
  }
}

const data = generateSyntheticOptionsMarket({ seed: 3, sessions: 60 });
const env = () => new OptionsTradingEnv({ data });

Deno.test("smoothing (α = 0.2) in the episode loop cuts a noisy policy's trades and whipsaws on the options env", () => {
  const p = new NoisyReversal();
  const raw = optionsEpisode(p, env());
  const smooth = optionsEpisode(p, env(), { smoothing: 0.2 });
  console.log(
    `  raw: ${raw.trades} trades, ${raw.whipsaws} whipsaws, ${
      (raw.totalReturn * 100).toFixed(1)
    } %` +
      ` | α=0.2: ${smooth.trades} trades, ${smooth.whipsaws} whipsaws, ${
        (smooth.totalReturn * 100).toFixed(1)
      } %`,
  );
  assert.equal(raw.steps, smooth.steps);
  assert.ok(smooth.trades < 0.7 * raw.trades, `${smooth.trades} vs ${raw.trades}`);
  assert.ok(smooth.whipsaws < 0.5 * raw.whipsaws, `${smooth.whipsaws} vs ${raw.whipsaws}`);
  assert.equal(smooth.name, "noisy_reversal+ema");
  // the smoothed action is the EMA of the raw actions (the wrapper resets each episode)
  const acts: number[] = [];
  const sm: number[] = [];
  runEpisode(p, env(), {
    maxSteps: 20,
    hooks: { afterStep: (_n, a) => acts.push((a as Float64Array)[0]) },
  });
  runEpisode(p, env(), {
    maxSteps: 20,
    smoothing: 0.2,
    hooks: { afterStep: (_n, a) => sm.push((a as Float64Array)[0]) },
  });
  let s = acts[0];
  for (let i = 0; i < 20; i++) {
    if (i > 0) s = 0.2 * acts[i] + 0.8 * s;
    assert.ok(Math.abs(sm[i] - s) < 1e-12, `step ${i}: ${sm[i]} vs ${s}`);
  }
  // α = 1 is no smoothing; evaluatePolicy passes the option through
  const one = optionsEpisode(p, env(), { smoothing: 1 });
  assert.equal(one.trades, raw.trades);
  const ev = evaluatePolicy(env(), p, { smoothing: 0.2 });
  assert.equal(ev.trades, smooth.trades);
  // a rule whose output is already steady is unchanged in trades by much
  const rule = new MomentumOptionsPolicy("reversal");
  assert.ok(
    optionsEpisode(rule, env(), { smoothing: 0.2 }).trades <= optionsEpisode(rule, env()).trades,
  );
});

Deno.test("smoothing: α outside (0, 1] is a ConfigError; discrete rule policies have no logits; trained discrete models smooth logits", () => {
  assert.throws(() => optionsEpisode(new NoisyReversal(), env(), { smoothing: 0 }), /alpha/);
  assert.throws(() => optionsEpisode(new NoisyReversal(), env(), { smoothing: 1.5 }), /alpha/);
  const cart = new CartPoleEnv();
  const rule: Policy = {
    name: "left",
    act: () => ({
      actions: Float64Array.of(0),
      logProb: new Float64Array(1),
      value: new Float64Array(1),
    }),
  };
  assert.throws(() => runEpisode(rule, cart, { smoothing: 0.3 }), /logits/);
  // a trained (NormalizedPolicy) discrete model: the loop's smoothing is SmoothedPolicy's
  const eng = new FastEngine(
    networkConfigFor("ppo", { obsDim: 4, actionSpace: cart.actionSpace }),
    { seed: 2 },
  );
  const a: number[] = [];
  const b: number[] = [];
  runEpisode(new NormalizedPolicy(eng, null), new CartPoleEnv(), {
    smoothing: 0.3,
    maxSteps: 30,
    hooks: { afterStep: (_n, x) => a.push(x as number) },
  });
  runEpisode(new SmoothedPolicy(eng, { alpha: 0.3 }), new CartPoleEnv(), {
    maxSteps: 30,
    hooks: { afterStep: (_n, x) => b.push(x as number) },
  });
  assert.deepEqual(a, b);
});
