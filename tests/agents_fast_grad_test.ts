/**
 * Fast engine, Float64 path (the reference): analytic gradients of every loss and head against
 * central finite differences (float64), masking, initialisation. The Float32 SIMD path is
 * checked against this one in `agents_wasm_test.ts`.
 */
import assert from "node:assert/strict";
import { Rng } from "../lib/util/prng.ts";
import type { Minibatch, NetworkConfig } from "../lib/agents/engines/engine.ts";
import { type LossCase, lossOf } from "./agents_loss_cases.ts";
import { FastEngine } from "../lib/agents/engines/fast/fast_engine.ts";
import { initNetwork, orthogonalMatrix } from "../lib/agents/engines/init.ts";
import { createMinibatch } from "../lib/agents/buffer.ts";

function netConfig(head: NetworkConfig["head"], critic = true): NetworkConfig {
  return {
    obsDim: 5,
    piHidden: [7, 6],
    vfHidden: critic ? [8] : [],
    critic,
    head,
    optimizer: { kind: "adam", eps: 1e-5 },
  };
}

/** A random minibatch for the engine (actions sampled from the current policy). */
function makeBatch(eng: FastEngine, size: number, seed: number, opts: {
  masked?: boolean;
  ref?: boolean;
} = {}): Minibatch {
  const rng = new Rng(seed);
  const cfg = eng.config;
  const cat = cfg.head.kind === "categorical";
  const nOut = cat ? (cfg.head as { n: number }).n : (cfg.head as { dim: number }).dim;
  const mb = createMinibatch(size, cfg.obsDim, {
    actDim: cat ? 1 : nOut,
    maskSize: cat && opts.masked ? nOut : 0,
    refLogProb: opts.ref,
  });
  mb.size = size;
  for (let i = 0; i < mb.obs.length; i++) mb.obs[i] = rng.normal();
  if (mb.masks) {
    for (let r = 0; r < size; r++) {
      for (let j = 0; j < nOut; j++) mb.masks[r * nOut + j] = rng.next() < 0.6 ? 1 : 0;
      mb.masks[r * nOut + rng.int(nOut)] = 1;
    }
  }
  eng.seed(seed);
  const act = eng.act(mb.obs, { masks: mb.masks });
  mb.actions.set(act.actions);
  for (let i = 0; i < size; i++) {
    // old log-probs near the current ones so that some ratios are clipped and some not
    mb.oldLogProb[i] = act.logProb[i] + 0.4 * rng.normal();
    mb.advantages[i] = rng.normal();
    mb.returns[i] = rng.normal();
    mb.oldValues[i] = mb.returns[i] + 0.5 * rng.normal();
    if (mb.refLogProb) mb.refLogProb[i] = act.logProb[i] + 0.3 * rng.normal();
  }
  return mb;
}

function lossCfg(kind: LossCase["kind"], extra: Partial<LossCase> = {}): LossCase {
  return {
    kind,
    learningRate: 1e-3,
    clipRange: 0.2,
    clipRangeVf: null,
    entCoef: 0.05,
    vfCoef: 0.5,
    klCoef: 0.1,
    maxGradNorm: Infinity,
    ...extra,
  };
}

/** Max relative error of analytic vs central-difference gradient over all parameters. */
function gradCheck(eng: FastEngine, mb: Minibatch, loss: LossCase): number {
  eng.lossAndGradient(mb, lossOf(loss));
  const grads = eng.getGradients();
  const weights = eng.getWeights();
  const h = 1e-6;
  let worst = 0;
  let checked = 0;
  for (let t = 0; t < weights.length; t++) {
    const w = weights[t];
    for (let k = 0; k < w.data.length; k++) {
      const orig = w.data[k];
      w.data[k] = orig + h;
      eng.setWeights(weights);
      const lp = eng.lossAndGradient(mb, lossOf(loss)).loss;
      w.data[k] = orig - h;
      eng.setWeights(weights);
      const lm = eng.lossAndGradient(mb, lossOf(loss)).loss;
      w.data[k] = orig;
      const fd = (lp - lm) / (2 * h);
      const an = grads[t].data[k];
      const err = Math.abs(fd - an) / Math.max(1e-6, Math.abs(fd) + Math.abs(an));
      // absolute floor: FD noise of float64 at h = 1e-6 is ~1e-10
      if (Math.abs(fd - an) > 1e-9) worst = Math.max(worst, err);
      checked++;
    }
  }
  eng.setWeights(weights);
  assert.ok(checked > 100);
  return worst;
}

const heads: [string, NetworkConfig["head"]][] = [
  ["categorical", { kind: "categorical", n: 4 }],
  ["gaussian", { kind: "gaussian", dim: 3, logStdInit: -0.3 }],
];

for (const [hname, head] of heads) {
  for (const kind of ["ppo", "a2c", "grpo"] as const) {
    for (const variant of kind === "ppo" ? ["plain", "vfclip"] : ["plain"]) {
      for (const masked of head.kind === "categorical" ? [false, true] : [false]) {
        const label = `${kind}${variant === "vfclip" ? "+vfclip" : ""}, ${hname}${
          masked ? " masked" : ""
        }`;
        Deno.test(`fast engine gradient = finite differences: ${label}`, () => {
          const eng = new FastEngine(netConfig(head, kind !== "grpo"), {
            seed: 3,
            precision: "float64",
          });
          // larger weights than the 0.01 head init so the policy is not uniform
          const w = eng.getWeights();
          const rng = new Rng(11);
          for (const t of w) {
            for (let i = 0; i < t.data.length; i++) t.data[i] += 0.3 * rng.normal();
          }
          eng.setWeights(w);
          const mb = makeBatch(eng, 11, 5, { masked, ref: kind === "grpo" });
          const loss = lossCfg(kind, variant === "vfclip" ? { clipRangeVf: 0.3 } : {});
          const stats = eng.lossAndGradient(mb, lossOf(loss));
          if (kind !== "a2c") {
            assert.ok(stats.clipFraction > 0 && stats.clipFraction < 1, "mix of clipped ratios");
          }
          const err = gradCheck(eng, mb, loss);
          assert.ok(err < 1e-6, `max relative error ${err}`);
        });
      }
    }
  }
}

Deno.test("masking: invalid actions get probability 0, entropy over valid ones", () => {
  const eng = new FastEngine(netConfig({ kind: "categorical", n: 4 }), {
    seed: 1,
    precision: "float64",
  });
  const obs = new Float64Array(5).map((_, i) => i * 0.3 - 0.5);
  const masks = new Uint8Array([0, 1, 0, 1]);
  eng.seed(9);
  for (let k = 0; k < 200; k++) {
    const a = eng.act(obs, { masks }).actions[0];
    assert.ok(a === 1 || a === 3, `sampled masked action ${a}`);
  }
  const z = eng.policyOutput(obs, 1);
  const e1 = Math.exp(z[1]);
  const e3 = Math.exp(z[3]);
  const lp1 = Math.log(e1 / (e1 + e3));
  const lp3 = Math.log(e3 / (e1 + e3));
  const ev = eng.evaluateActions(obs, new Float64Array([1]), 1, masks);
  assert.ok(Math.abs(ev.logProb[0] - lp1) < 1e-12);
  const h = -(Math.exp(lp1) * lp1 + Math.exp(lp3) * lp3);
  assert.ok(Math.abs(ev.entropy[0] - h) < 1e-12);
  // masked action has log-prob −∞; deterministic acting never picks it
  assert.equal(eng.evaluateActions(obs, new Float64Array([0]), 1, masks).logProb[0], -Infinity);
  const det = eng.act(obs, { masks, deterministic: true }).actions[0];
  assert.equal(det, z[1] >= z[3] ? 1 : 3);
  assert.throws(() => eng.act(obs, { masks: new Uint8Array(4) }), /no valid action/);
});

Deno.test("init: orthogonal kernels with the specified gains, zero biases, log_std", () => {
  const cfg: NetworkConfig = {
    obsDim: 20,
    piHidden: [64, 64],
    vfHidden: [64, 64],
    critic: true,
    head: { kind: "gaussian", dim: 2, logStdInit: -0.5 },
    optimizer: { kind: "adam", eps: 1e-5 },
  };
  const w = initNetwork(cfg, new Rng(42));
  const names = w.map((t) => t.name);
  assert.deepEqual(names, [
    "pi/dense_0/kernel",
    "pi/dense_0/bias",
    "pi/dense_1/kernel",
    "pi/dense_1/bias",
    "pi/head/kernel",
    "pi/head/bias",
    "pi/log_std",
    "vf/dense_0/kernel",
    "vf/dense_0/bias",
    "vf/dense_1/kernel",
    "vf/dense_1/bias",
    "vf/head/kernel",
    "vf/head/bias",
  ]);
  const gains: Record<string, number> = {
    "pi/dense_0/kernel": Math.SQRT2,
    "pi/dense_1/kernel": Math.SQRT2,
    "pi/head/kernel": 0.01,
    "vf/dense_0/kernel": Math.SQRT2,
    "vf/dense_1/kernel": Math.SQRT2,
    "vf/head/kernel": 1,
  };
  for (const t of w) {
    if (t.name.endsWith("bias")) assert.ok(t.data.every((x) => x === 0));
    else if (t.name === "pi/log_std") assert.deepEqual([...t.data], [-0.5, -0.5]);
    else {
      const [rows, cols] = t.shape;
      const g = gains[t.name];
      // WᵀW = g² I (rows ≥ cols) or WWᵀ = g² I (rows < cols)
      const small = Math.min(rows, cols);
      for (let a = 0; a < small; a++) {
        for (let b = 0; b < small; b++) {
          let dot = 0;
          if (rows >= cols) {
            for (let r = 0; r < rows; r++) dot += t.data[r * cols + a] * t.data[r * cols + b];
          } else for (let c = 0; c < cols; c++) dot += t.data[a * cols + c] * t.data[b * cols + c];
          assert.ok(Math.abs(dot - (a === b ? g * g : 0)) < 1e-12, `${t.name} not orthogonal`);
        }
      }
    }
  }
  // same seed → identical weights; different seed → different
  const w2 = initNetwork(cfg, new Rng(42));
  assert.deepEqual(w2.map((t) => [...t.data]), w.map((t) => [...t.data]));
  assert.notDeepEqual([...initNetwork(cfg, new Rng(43))[0].data], [...w[0].data]);
  // engine with seed s starts from initNetwork(config, new Rng(s))
  const eng = new FastEngine(cfg, { seed: 42, precision: "float64" });
  assert.deepEqual(eng.getWeights().map((t) => [...t.data]), w.map((t) => [...t.data]));
  assert.equal(orthogonalMatrix([3, 2], new Rng(1)).length, 6);
});
