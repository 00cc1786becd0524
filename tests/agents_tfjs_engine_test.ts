import assert from "node:assert/strict";
import { selectBackend } from "../lib/agents/engines/tfjs/backend.ts";
import { TfjsEngine } from "../lib/agents/engines/tfjs/tfjs_engine.ts";
import type { NetworkConfig } from "../lib/agents/engines/engine.ts";
import { ModelError } from "../lib/util/errors.ts";

await selectBackend("cpu");

function cfg(head: NetworkConfig["head"]): NetworkConfig {
  return {
    obsDim: 3,
    piHidden: [8],
    vfHidden: [8],
    critic: true,
    head,
    optimizer: { kind: "adam", eps: 1e-5 },
  };
}

Deno.test("tfjs engine: seeded categorical sampling follows the softmax and respects masks", () => {
  const e = new TfjsEngine(cfg({ kind: "categorical", n: 4 }), { seed: 1 });
  try {
    // make the logits input-independent and known: zero kernels, head bias = log p
    const p = [0.1, 0.2, 0.3, 0.4];
    e.setWeights(
      e.getWeights().map((w) => ({
        ...w,
        data: w.name === "pi/head/bias" ? Float64Array.from(p, Math.log) : w.data.map(() => 0),
      })),
    );
    const n = 4000;
    const obs = new Float64Array(n * 3).fill(0.5);
    e.seed(7);
    const r = e.act(obs);
    const counts = [0, 0, 0, 0];
    for (const a of r.actions) counts[a]++;
    for (let k = 0; k < 4; k++) {
      const sd = Math.sqrt(n * p[k] * (1 - p[k]));
      assert.ok(Math.abs(counts[k] - n * p[k]) < 4 * sd, `action ${k}: ${counts[k]}`);
      // logProb of the sampled action is log p (float32 logits)
    }
    r.actions.forEach((a, i) => assert.ok(Math.abs(r.logProb[i] - Math.log(p[a])) < 1e-6));
    // same seed → same draws
    e.seed(7);
    assert.deepEqual(e.act(obs).actions, r.actions);
    // masks: action 3 forbidden everywhere, the rest renormalised
    const masks = new Uint8Array(n * 4).fill(1);
    for (let i = 0; i < n; i++) masks[i * 4 + 3] = 0;
    const m = e.act(obs, { masks });
    assert.ok(m.actions.every((a) => a !== 3));
    m.actions.forEach((a, i) => assert.ok(Math.abs(m.logProb[i] - Math.log(p[a] / 0.6)) < 1e-6));
    assert.deepEqual(
      Array.from(e.act(obs.subarray(0, 3), { deterministic: true, masks }).actions),
      [2],
    );
    const ev = e.evaluateActions(
      obs.subarray(0, 6),
      new Float64Array([0, 2]),
      2,
      masks.subarray(0, 8),
    );
    assert.ok(Math.abs(ev.logProb[1] - Math.log(0.5)) < 1e-6);
    const h = -[1 / 6, 2 / 6, 3 / 6].reduce((s, q) => s + q * Math.log(q), 0);
    assert.ok(Math.abs(ev.entropy[0] - h) < 1e-6);
  } finally {
    e.dispose();
  }
});

Deno.test("tfjs engine: Gaussian sampling has the head's mean and exp(log_std)", () => {
  const e = new TfjsEngine(cfg({ kind: "gaussian", dim: 2, logStdInit: Math.log(0.5) }), {
    seed: 2,
  });
  try {
    e.setWeights(
      e.getWeights().map((w) => ({
        ...w,
        data: w.name === "pi/head/bias"
          ? new Float64Array([1, -2])
          : w.name === "pi/log_std"
          ? w.data
          : w.data.map(() => 0),
      })),
    );
    const n = 5000;
    const r = e.act(new Float64Array(n * 3));
    for (let k = 0; k < 2; k++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        s += r.actions[i * 2 + k];
        s2 += r.actions[i * 2 + k] ** 2;
      }
      const mean = s / n;
      const sd = Math.sqrt(s2 / n - mean * mean);
      assert.ok(Math.abs(mean - [1, -2][k]) < 4 * 0.5 / Math.sqrt(n), `mean ${mean}`);
      assert.ok(Math.abs(sd - 0.5) < 0.03, `sd ${sd}`);
    }
    const det = e.act(new Float64Array(3), { deterministic: true });
    assert.deepEqual(Array.from(det.actions), [1, -2]);
    // logProb of the mean: −Σ(log σ + ½ log 2π)
    assert.ok(Math.abs(det.logProb[0] - 2 * -(Math.log(0.5) + 0.5 * Math.log(2 * Math.PI))) < 1e-6);
  } finally {
    e.dispose();
  }
});

Deno.test("tfjs engine: bad input is a ModelError", () => {
  const e = new TfjsEngine(cfg({ kind: "categorical", n: 4 }), { seed: 1 });
  try {
    assert.throws(() => e.act(new Float64Array(4)), ModelError);
    assert.throws(
      () => e.evaluateActions(new Float64Array(3), new Float64Array([4]), 1),
      ModelError,
    );
    assert.throws(() => e.setWeights(e.getWeights().slice(1)), ModelError);
    const w = e.getWeights();
    w[0] = { ...w[0], shape: [4, 8], data: new Float64Array(32) };
    assert.throws(() => e.setWeights(w), ModelError);
    assert.throws(
      () => new TfjsEngine(cfg({ kind: "categorical", n: 4 }), { weights: w }),
      ModelError,
    );
  } finally {
    e.dispose();
  }
});
