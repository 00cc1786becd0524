/**
 * Gradient cross-checks: the fast engine's analytic gradients (float64) against tfjs autodiff
 * (the reference, float32) on the same weights and minibatch, for every loss and head.
 * Both engines take the loss's derivatives per sample from the algorithm's own `Loss`
 * (checked against finite differences in `agents_loss_test.ts`); what is compared here is the
 * chain through the action heads (masking, log-std) and the networks, and the statistics.
 *
 * Tolerance: tfjs has no float64 backend, so the reference carries float32 rounding. Inputs
 * and weights are first rounded to float32 so both engines see identical values; what is left
 * is float32 arithmetic (unit roundoff 6e-8) accumulated over dot products of ≤ 64 terms, exp/
 * log and the minibatch mean: measured 1.5e-7 … 2.2e-7 relative here. We require the relative
 * L2 error of every gradient tensor (and of the loss statistics) to be < 1e-5, with a floor of
 * 1e-6 × the global gradient norm for tensors whose gradient is (near) zero. A wrong sign,
 * a missing term or a factor of 2 produces errors of order 1, far above it.
 *
 * Samples whose ratio lies within 1e-3 of a clip boundary (or whose clipped/unclipped value
 * errors nearly tie) are nudged away from it, because float32 may take the other branch
 * of a kink there, where the derivative is discontinuous.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../lib/util/prng.ts";
import { selectBackend } from "../lib/agents/engines/tfjs/backend.ts";
import { TfjsEngine } from "../lib/agents/engines/tfjs/tfjs_engine.ts";
import { FastEngine } from "../lib/agents/engines/fast/fast_engine.ts";
import type {
  ActorCriticEngine,
  Loss,
  Minibatch,
  NamedTensor,
  NetworkConfig,
  UpdateStats,
} from "../lib/agents/engines/engine.ts";
import { type LossCase, lossOf, stepOf } from "./agents_loss_cases.ts";

await selectBackend("cpu");

const TOL = 1e-5;

function f32(a: Float64Array): Float64Array {
  return a.map((x) => Math.fround(x));
}

function netConfig(head: "categorical" | "gaussian", critic: boolean): NetworkConfig {
  return {
    obsDim: 5,
    piHidden: [16, 8],
    vfHidden: critic ? [12] : [],
    critic,
    head: head === "categorical" ? { kind: "categorical", n: 4 } : {
      kind: "gaussian",
      dim: 2,
      logStdInit: -0.3,
    },
    optimizer: { kind: "adam", eps: 1e-5 },
  };
}

/** Random float32-representable weights with a large-enough policy head to make clipping bite. */
function randomWeights(engine: ActorCriticEngine, rng: Rng): NamedTensor[] {
  return engine.getWeights().map((w) => {
    const scale = w.name.includes("log_std") ? 0.3 : w.name.endsWith("bias") ? 0.2 : 0.6;
    const base = w.name.includes("log_std") ? -0.2 : 0;
    return { ...w, data: f32(w.data.map(() => base + scale * rng.normal())) };
  });
}

/** A minibatch in float32-representable numbers, with ratios away from clip kinks. */
function makeBatch(
  engine: ActorCriticEngine,
  rng: Rng,
  size: number,
  loss: LossCase,
  withMask: boolean,
): Minibatch {
  const cfg = engine.config;
  const obs = f32(new Float64Array(size * cfg.obsDim).map(() => rng.normal()));
  let masks: Uint8Array | undefined;
  const n = cfg.head.kind === "categorical" ? cfg.head.n : 0;
  if (withMask && n > 0) {
    masks = new Uint8Array(size * n).fill(1);
    for (let i = 0; i < size; i++) {
      // mask one or two actions per row, never all
      masks[i * n + rng.int(n)] = 0;
      if (rng.next() < 0.3) masks[i * n + rng.int(n)] = 0;
      let any = 0;
      for (let k = 0; k < n; k++) any += masks[i * n + k];
      if (any === 0) masks[i * n] = 1;
    }
  }
  engine.seed(123);
  const acted = engine.act(obs, { masks });
  const actions = f32(acted.actions);
  const { logProb } = engine.evaluateActions(obs, actions, size, masks);
  const eps = loss.clipRange;
  const oldLogProb = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let old = logProb[i] + 0.35 * rng.normal();
    for (let tries = 0; tries < 50; tries++) {
      const r = Math.exp(logProb[i] - old);
      if (Math.abs(r - (1 - eps)) > 1e-3 && Math.abs(r - (1 + eps)) > 1e-3) break;
      old += 0.01;
    }
    oldLogProb[i] = Math.fround(old);
  }
  const advantages = f32(new Float64Array(size).map(() => rng.normal()));
  const returns = f32(new Float64Array(size).map(() => 2 * rng.normal()));
  const values = engine.predictValues(obs, size);
  const oldValues = new Float64Array(size);
  const cvf = loss.clipRangeVf ?? 0;
  for (let i = 0; i < size; i++) {
    if (!cfg.critic) break;
    let ov = values[i] + 0.4 * rng.normal();
    for (let tries = 0; tries < 50; tries++) {
      const dv = values[i] - ov;
      const vc = ov + Math.max(-cvf, Math.min(cvf, dv));
      const l1 = (values[i] - returns[i]) ** 2;
      const l2 = (vc - returns[i]) ** 2;
      if (Math.abs(Math.abs(dv) - cvf) > 1e-3 && Math.abs(l1 - l2) > 1e-3) break;
      ov += 0.013;
    }
    oldValues[i] = Math.fround(ov);
  }
  let refLogProb: Float64Array | undefined;
  if (loss.kind === "grpo") {
    refLogProb = f32(logProb.map((lp) => lp + 0.3 * rng.normal()));
  }
  return { size, obs, actions, oldLogProb, advantages, returns, oldValues, masks, refLogProb };
}

function gradientsOf(
  e: ActorCriticEngine,
  mb: Minibatch,
  loss: LossCase,
): { gradients: NamedTensor[]; stats: UpdateStats } {
  if (e.computeGradients) return e.computeGradients(mb, lossOf(loss));
  const fast = e as unknown as {
    lossAndGradient(mb: Minibatch, loss: Loss): UpdateStats;
    getGradients(): NamedTensor[];
  };
  const stats = fast.lossAndGradient(mb, lossOf(loss));
  return { gradients: fast.getGradients(), stats };
}

function l2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s) / Math.max(l2(b), floor);
}

function baseLoss(kind: LossCase["kind"], clipRangeVf: number | null = null): LossCase {
  return {
    kind,
    learningRate: 3e-3,
    clipRange: 0.2,
    clipRangeVf,
    entCoef: 0.05,
    vfCoef: 0.5,
    klCoef: 0.1,
    maxGradNorm: 0.5,
  };
}

interface Case {
  name: string;
  head: "categorical" | "gaussian";
  loss: LossCase;
  mask: boolean;
}

const cases: Case[] = [];
for (const head of ["categorical", "gaussian"] as const) {
  const mask = head === "categorical";
  cases.push({ name: `ppo ${head}`, head, loss: baseLoss("ppo"), mask });
  cases.push({ name: `ppo+vclip ${head}`, head, loss: baseLoss("ppo", 0.1), mask });
  cases.push({ name: `a2c ${head}`, head, loss: baseLoss("a2c"), mask });
  cases.push({ name: `grpo ${head}`, head, loss: baseLoss("grpo"), mask });
}
cases.push({
  name: "ppo categorical unmasked",
  head: "categorical",
  loss: baseLoss("ppo"),
  mask: false,
});

for (const c of cases) {
  for (const precision of ["float64", "float32"] as const) {
    Deno.test(`crosscheck gradients: ${c.name}, fast ${precision}`, () => {
      const cfg = netConfig(c.head, c.loss.kind !== "grpo");
      const rng = new Rng(2024);
      const fast = new FastEngine(cfg, { seed: 1, precision });
      const weights = randomWeights(fast, rng);
      fast.setWeights(weights);
      const ref = new TfjsEngine(cfg, { weights });
      try {
        const mb = makeBatch(fast, rng, 48, c.loss, c.mask);
        const a = gradientsOf(fast, mb, c.loss);
        const b = gradientsOf(ref, mb, c.loss);
        const bByName = new Map(b.gradients.map((g) => [g.name, g]));
        const globalNorm = b.stats.gradNorm;
        assert.ok(globalNorm > 1e-3, `degenerate test: gradient norm ${globalNorm}`);
        for (const g of a.gradients) {
          const r = bByName.get(g.name);
          assert.ok(r, `tfjs has no gradient for ${g.name}`);
          assert.deepEqual(g.shape, r.shape);
          const err = relErr(g.data, r.data, 1e-6 * globalNorm + 1e-12);
          assert.ok(err < TOL, `${c.name}: ${g.name} relative error ${err.toExponential(2)}`);
        }
        assert.equal(a.gradients.length, b.gradients.length);
        for (
          const key of [
            "loss",
            "policyLoss",
            "valueLoss",
            "entropy",
            "approxKl",
            "refKl",
            "gradNorm",
          ] as const
        ) {
          const x = a.stats[key];
          const y = b.stats[key];
          assert.ok(
            Math.abs(x - y) <= TOL * Math.max(1, Math.abs(y)),
            `${c.name}: stat ${key} fast ${x} vs tfjs ${y}`,
          );
        }
        // clipFraction is a count / size (float32 in tfjs)
        assert.equal(
          Math.round(a.stats.clipFraction * mb.size),
          Math.round(b.stats.clipFraction * mb.size),
        );
        if (c.loss.kind !== "a2c") {
          // the test batch exercises both sides of the clipped surrogate
          assert.ok(
            a.stats.clipFraction > 0.05 && a.stats.clipFraction < 0.95,
            `${a.stats.clipFraction}`,
          );
        }
      } finally {
        ref.dispose();
      }
    });
  }
}

for (const opt of ["adam", "rmsprop"] as const) {
  for (const precision of ["float64", "float32"] as const) {
    Deno.test(`crosscheck updates: three ${opt} steps with grad clipping agree, fast ${precision}`, () => {
      const cfg = netConfig("categorical", true);
      cfg.optimizer = opt === "adam" ? { kind: "adam", eps: 1e-5 } : {
        kind: "rmsprop",
        alpha: 0.99,
        eps: 1e-5,
      };
      const rng = new Rng(7);
      const fast = new FastEngine(cfg, { seed: 3, precision });
      const w0 = randomWeights(fast, rng);
      fast.setWeights(w0);
      const ref = new TfjsEngine(cfg, { weights: w0 });
      try {
        const loss = baseLoss(opt === "adam" ? "ppo" : "a2c", opt === "adam" ? 0.2 : null);
        const mb = makeBatch(fast, rng, 32, loss, true);
        let clipped = false;
        for (let s = 0; s < 3; s++) {
          const sa = fast.update(mb, lossOf(loss), stepOf(loss));
          const sb = ref.update(mb, lossOf(loss), stepOf(loss));
          if (sa.gradNorm > loss.maxGradNorm) clipped = true;
          assert.ok(Math.abs(sa.gradNorm - sb.gradNorm) < 1e-3 * sb.gradNorm);
        }
        assert.ok(clipped, "test should exercise gradient clipping");
        const wa = fast.getWeights();
        const wb = new Map(ref.getWeights().map((w) => [w.name, w]));
        let dn = 0;
        let en = 0;
        for (let t = 0; t < wa.length; t++) {
          const b = wb.get(wa[t].name)!;
          for (let i = 0; i < b.data.length; i++) {
            const da = wa[t].data[i] - w0[t].data[i];
            const db = b.data[i] - w0[t].data[i];
            dn += da * da;
            en += (da - db) ** 2;
          }
        }
        // Weight deltas (~lr·steps) are compared after float32 storage of the tfjs weights,
        // whose rounding (6e-8 × |w| ≈ 1e-7) is ~1e-5 of a 3e-3 step: tolerance 1e-3.
        assert.ok(dn > 0);
        assert.ok(Math.sqrt(en / dn) < 1e-3, `update mismatch ${Math.sqrt(en / dn)}`);
        // optimiser state is interchangeable between the engines (same names and shapes)
        const sa = fast.getOptimizerState();
        const sb = ref.getOptimizerState();
        assert.equal(sa.step, 3);
        assert.equal(sb.step, 3);
        assert.deepEqual(
          sa.tensors.map((t) => t.name).sort(),
          sb.tensors.map((t) => t.name).sort(),
        );
        ref.setOptimizerState(sa);
        fast.setOptimizerState(sb);
      } finally {
        ref.dispose();
      }
    });
  }
}

Deno.test("crosscheck: same seed gives the same initial weights and deterministic actions", () => {
  const cfg = netConfig("categorical", true);
  const fast = new FastEngine(cfg, { seed: 11, precision: "float64" });
  const ref = new TfjsEngine(cfg, { seed: 11 });
  try {
    const wa = fast.getWeights();
    const wb = ref.getWeights();
    for (let t = 0; t < wa.length; t++) {
      assert.equal(wa[t].name, wb[t].name);
      for (let i = 0; i < wa[t].data.length; i++) {
        assert.equal(Math.fround(wa[t].data[i]), wb[t].data[i]);
      }
    }
    const obs = new Float64Array(10 * cfg.obsDim).map((_, i) => Math.sin(i));
    const da = fast.act(obs, { deterministic: true });
    const db = ref.act(obs, { deterministic: true });
    assert.deepEqual(Array.from(da.actions), Array.from(db.actions));
    for (let i = 0; i < 10; i++) assert.ok(Math.abs(da.value[i] - db.value[i]) < 1e-5);
  } finally {
    ref.dispose();
  }
});

Deno.test("crosscheck: tfjs engine disposes its tensors", () => {
  const cfg = netConfig("gaussian", true);
  const before = tf.memory().numTensors;
  const ref = new TfjsEngine(cfg, { seed: 1 });
  const rng = new Rng(1);
  const mb = makeBatch(ref, rng, 8, baseLoss("ppo"), false);
  ref.update(mb, lossOf(baseLoss("ppo")), stepOf(baseLoss("ppo")));
  ref.act(mb.obs, {});
  ref.computeGradients(mb, lossOf(baseLoss("ppo")));
  ref.dispose();
  assert.equal(tf.memory().numTensors, before);
});
