/**
 * The fast engine's Float32 WebAssembly SIMD path against its Float64 reference path and
 * against finite differences:
 *
 * - the kernels' tanh against float64 `Math.tanh` (max abs error < 5e-7; measured 2.7e-7 on
 *   this grid, 3.3e-7 on a finer one);
 * - gradients of every loss and head (masked and not) on the same float32-representable
 *   weights and minibatch, at a one-chunk size (48 rows) and at a size that needs three
 *   chunks (600 rows, re-running each chunk's forward pass): relative L2 error per tensor
 *   < 2e-5 (float32 arithmetic, unit roundoff 6e-8, over ≤ 64-term dot products and up to
 *   600-row sums; measured ≤ 4.8e-6), with a floor of 1e-6 × the global norm for (near-)zero
 *   tensors; loss statistics within 1e-5. A wrong sign, a missing term or a factor of 2 gives
 *   errors of order 1;
 * - a directional finite difference of the loss on the Float32 path itself (central, step
 *   1e-3 along a random unit direction; float32 rounding of the loss, ~1e-7, over 2e-3 makes
 *   the difference quotient good to ~1e-4 of the directional derivative): relative < 1e-3
 *   (measured 3.9e-4);
 * - ten Adam and ten RMSprop steps with gradient clipping: weight changes within 1e-3
 *   (relative L2) of the Float64 path's (measured 6.3e-6).
 * The tfjs cross-check of both paths is in `agents_crosscheck_test.ts`, same-seed determinism
 * per path in `agents_fast_unit_test.ts`.
 *
 * Cannot catch: an error shared by both paths (the Float64 path is checked against finite
 * differences in `agents_fast_grad_test.ts`, the losses in `agents_loss_test.ts`).
 */
import assert from "node:assert/strict";
import { Rng } from "../lib/util/prng.ts";
import type { Minibatch, NetworkConfig } from "../lib/agents/engines/engine.ts";
import { FastEngine } from "../lib/agents/engines/fast/fast_engine.ts";
import { instantiateKernels, WASM_KERNELS } from "../lib/agents/engines/fast/wasm_kernels.ts";
import { createMinibatch } from "../lib/agents/buffer.ts";
import { type LossCase, lossOf, stepOf } from "./agents_loss_cases.ts";

assert.ok(WASM_KERNELS, "the WebAssembly kernels load in the test environment");

Deno.test("wasm kernels: tanh within 5e-7 of float64 tanh on [-12, 12]", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const k = instantiateKernels(memory);
  const n = 12001;
  const f = new Float32Array(memory.buffer, 0, n + 4);
  for (let i = 0; i < n; i++) f[i] = -12 + 24 * i / (n - 1);
  const x = Float64Array.from(f.subarray(0, n));
  k.tanh_inplace(0, n);
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(f[i] - Math.tanh(x[i])));
  assert.ok(worst < 5e-7, `max abs error ${worst}`);
});

function netConfig(head: NetworkConfig["head"], critic: boolean): NetworkConfig {
  return {
    obsDim: 7,
    piHidden: [64, 33],
    vfHidden: critic ? [64, 18] : [],
    critic,
    head,
    optimizer: { kind: "adam", eps: 1e-5 },
  };
}

/** Two engines (float64, float32) with the same float32-representable random weights. */
function enginePair(cfg: NetworkConfig, seed: number): [FastEngine, FastEngine] {
  const a = new FastEngine(cfg, { seed, precision: "float64" });
  const rng = new Rng(seed + 100);
  const w = a.getWeights().map((t) => ({
    ...t,
    data: t.data.map((x) => Math.fround(x + 0.25 * rng.normal())),
  }));
  a.setWeights(w);
  return [a, new FastEngine(cfg, { weights: w, precision: "float32" })];
}

function makeBatch(eng: FastEngine, size: number, seed: number, masked: boolean): Minibatch {
  const rng = new Rng(seed);
  const cfg = eng.config;
  const cat = cfg.head.kind === "categorical";
  const nOut = cfg.head.kind === "categorical" ? cfg.head.n : cfg.head.dim;
  const mb = createMinibatch(size, cfg.obsDim, {
    actDim: cat ? 1 : nOut,
    maskSize: cat && masked ? nOut : 0,
    refLogProb: true,
  });
  mb.size = size;
  for (let i = 0; i < mb.obs.length; i++) mb.obs[i] = Math.fround(rng.normal());
  if (mb.masks) {
    for (let r = 0; r < size; r++) {
      for (let j = 0; j < nOut; j++) mb.masks[r * nOut + j] = rng.next() < 0.6 ? 1 : 0;
      mb.masks[r * nOut + rng.int(nOut)] = 1;
    }
  }
  eng.seed(seed);
  const act = eng.act(mb.obs, { masks: mb.masks });
  mb.actions.set(act.actions.map((a) => Math.fround(a)));
  for (let i = 0; i < size; i++) {
    mb.oldLogProb[i] = act.logProb[i] + 0.3 * rng.normal();
    mb.advantages[i] = rng.normal();
    mb.returns[i] = rng.normal();
    mb.oldValues[i] = mb.returns[i] + 0.5 * rng.normal();
    mb.refLogProb![i] = act.logProb[i] + 0.3 * rng.normal();
  }
  return mb;
}

function lossCase(kind: LossCase["kind"], clipRangeVf: number | null = null): LossCase {
  return {
    kind,
    learningRate: 3e-3,
    clipRange: 0.2,
    clipRangeVf,
    entCoef: 0.02,
    vfCoef: 0.5,
    klCoef: 0.1,
    maxGradNorm: 0.5,
  };
}

function relL2(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] * b[i];
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), floor);
}

const heads: [string, NetworkConfig["head"]][] = [
  ["categorical", { kind: "categorical", n: 3 }],
  ["gaussian", { kind: "gaussian", dim: 2, logStdInit: -0.4 }],
];
for (const [hname, head] of heads) {
  for (
    const [lname, c] of [
      ["ppo", lossCase("ppo")],
      ["ppo+vfclip", lossCase("ppo", 0.2)],
      ["a2c", lossCase("a2c")],
      ["grpo", lossCase("grpo")],
    ] as const
  ) {
    for (const masked of head.kind === "categorical" ? [false, true] : [false]) {
      Deno.test(`float32 path gradients = float64 path: ${lname}, ${hname}${masked ? " masked" : ""}`, () => {
        const [f64, f32] = enginePair(netConfig(head, c.kind !== "grpo"), 4);
        for (const size of [48, 600]) {
          const mb = makeBatch(f64, size, 9 + size, masked);
          const a = f64.computeGradients(mb, lossOf(c));
          const b = f32.computeGradients(mb, lossOf(c));
          assert.equal(a.gradients.length, b.gradients.length);
          for (let t = 0; t < a.gradients.length; t++) {
            const err = relL2(b.gradients[t].data, a.gradients[t].data, 1e-6 * a.stats.gradNorm);
            assert.ok(err < 2e-5, `${size} rows: ${a.gradients[t].name} rel error ${err}`);
          }
          for (const key of ["loss", "policyLoss", "valueLoss", "entropy", "gradNorm"] as const) {
            const x = a.stats[key];
            const y = b.stats[key];
            assert.ok(Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(x)), `${key} ${x} vs ${y}`);
          }
        }
      });
    }
  }
}

Deno.test("float32 path: directional finite difference of the loss", () => {
  for (const [, head] of heads) {
    const c = lossCase("ppo");
    const [, eng] = enginePair(netConfig(head, true), 6);
    const mb = makeBatch(eng, 64, 3, false);
    const loss = lossOf(c);
    const { gradients } = eng.computeGradients(mb, loss);
    const w0 = eng.getWeights();
    const rng = new Rng(17);
    const u = w0.map((t) => t.data.map(() => rng.normal()));
    let norm = 0;
    for (const d of u) for (const x of d) norm += x * x;
    norm = Math.sqrt(norm);
    let analytic = 0;
    gradients.forEach((g, t) => g.data.forEach((x, i) => analytic += x * u[t][i] / norm));
    const h = 1e-3;
    const at = (s: number) => {
      eng.setWeights(
        w0.map((t, k) => ({ ...t, data: t.data.map((x, i) => x + s * u[k][i] / norm) })),
      );
      return eng.lossAndGradient(mb, loss).loss;
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    eng.setWeights(w0);
    assert.ok(
      Math.abs(fd - analytic) < 1e-3 * Math.abs(analytic),
      `${head.kind}: directional derivative ${analytic} vs finite difference ${fd}`,
    );
  }
});

for (const opt of ["adam", "rmsprop"] as const) {
  Deno.test(`float32 path: ten ${opt} steps with clipping track the float64 path`, () => {
    const cfg = netConfig({ kind: "categorical", n: 3 }, true);
    cfg.optimizer = opt === "adam"
      ? { kind: "adam", eps: 1e-5 }
      : { kind: "rmsprop", alpha: 0.99, eps: 1e-5 };
    const [f64, f32] = enginePair(cfg, 8);
    const w0 = f64.getWeights();
    const c = lossCase(opt === "adam" ? "ppo" : "a2c");
    const mb = makeBatch(f64, 64, 21, true);
    let clipped = false;
    for (let s = 0; s < 10; s++) {
      const sa = f64.update(mb, lossOf(c), stepOf(c));
      f32.update(mb, lossOf(c), stepOf(c));
      if (sa.gradNorm > c.maxGradNorm) clipped = true;
    }
    assert.ok(clipped, "the test exercises gradient clipping");
    const wa = f64.getWeights();
    const wb = f32.getWeights();
    let dn = 0;
    let en = 0;
    for (let t = 0; t < wa.length; t++) {
      for (let i = 0; i < wa[t].data.length; i++) {
        const da = wa[t].data[i] - w0[t].data[i];
        const db = wb[t].data[i] - w0[t].data[i];
        dn += da * da;
        en += (da - db) ** 2;
      }
    }
    assert.ok(dn > 0);
    assert.ok(Math.sqrt(en / dn) < 1e-3, `update mismatch ${Math.sqrt(en / dn)}`);
    // optimiser state moves between the paths (same names, shapes and step count)
    const sa = f64.getOptimizerState();
    const sb = f32.getOptimizerState();
    assert.equal(sb.step, 10);
    assert.deepEqual(sa.tensors.map((t) => t.name), sb.tensors.map((t) => t.name));
    f64.setOptimizerState(sb);
    assert.equal(f64.getOptimizerState().step, 10);
  });
}

Deno.test("float32 path: clone keeps the path and the weights; unknown paths are refused", () => {
  const [, f32] = enginePair(netConfig({ kind: "categorical", n: 3 }, true), 2);
  const c = f32.clone();
  assert.equal(c.precision, "float32");
  assert.deepEqual(c.getWeights(), f32.getWeights());
  assert.throws(
    () => new FastEngine(c.config, { precision: "float16" as "float32" }),
    /unknown precision 'float16'/,
  );
});
