/**
 * Fast engine optimisers, GAE, normaliser, classic-control physics and training determinism.
 * Expected numbers were computed by hand (or with a few lines of plain Python implementing the
 * published formulas) and are written out literally.
 */
import assert from "node:assert/strict";
import { Adam, clipGradNorm, RmsProp } from "../lib/agents/engines/fast/optim.ts";
import { explainedVariance, normalizeInPlace, RolloutBuffer } from "../lib/agents/buffer.ts";
import { RunningMeanStd, VecNormalizer } from "../lib/agents/normalizer.ts";
import { FastEngine } from "../lib/agents/engines/fast/fast_engine.ts";
import { networkConfigFor } from "../lib/agents/common.ts";
import { trainPpo } from "../lib/agents/ppo.ts";
import { trainA2c } from "../lib/agents/a2c.ts";
import { trainGrpo } from "../lib/agents/grpo.ts";
import {
  CartPoleEnv,
  OffsetMatchEnv,
  PendulumEnv,
  PointMassEnv,
} from "../lib/env/classic_control.ts";
import { SyncVecEnv } from "../lib/env/vec_env.ts";
import { type LossCase, lossOf, stepOf } from "./agents_loss_cases.ts";
import { createMinibatch } from "../lib/agents/buffer.ts";
import { SmoothedPolicy } from "../lib/agents/smoothing.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

Deno.test("Adam matches torch.optim.Adam's update over three steps", () => {
  const p = new Float64Array([1, -2]);
  const opt = new Adam(2, 1e-8);
  for (const g of [[0.5, -1.5], [-0.2, 0.3], [0.1, 0]]) opt.apply(p, new Float64Array(g), 0.1);
  close(p[0], 0.8275002408356956);
  close(p[1], -1.809394929990814);
  assert.equal(opt.step, 3);
});

Deno.test("RMSprop matches torch.optim.RMSprop (eps outside the sqrt) over three steps", () => {
  const p = new Float64Array([1, -2]);
  const opt = new RmsProp(2, 0.99, 1e-5);
  for (const g of [[0.5, -1.5], [-0.2, 0.3], [0.1, 0]]) opt.apply(p, new Float64Array(g), 0.01);
  close(p[0], 0.9188934208794394);
  close(p[1], -1.9197119573721841);
});

Deno.test("global grad-norm clip: torch semantics (max/(norm+1e-6)), no-op below the limit", () => {
  const g = new Float64Array([3, 4]);
  assert.equal(clipGradNorm(g, 1), 5);
  close(g[0], 3 / (5 + 1e-6));
  close(g[1], 4 / (5 + 1e-6));
  const h = new Float64Array([0.3, 0.4]);
  assert.equal(clipGradNorm(h, 1), 0.5);
  assert.deepEqual([...h], [0.3, 0.4]);
  assert.equal(clipGradNorm(h, Infinity), 0.5);
});

Deno.test("engine.update = gradient, then clip, then Adam step on every weight", () => {
  const cfg = networkConfigFor("ppo", { obsDim: 3, actionSpace: new CartPoleEnv().actionSpace }, {
    hidden: [4],
  });
  const a = new FastEngine(cfg, { seed: 2, precision: "float64" });
  const mb = createMinibatch(6, 3);
  mb.size = 6;
  for (let i = 0; i < 18; i++) mb.obs[i] = Math.sin(i);
  for (let i = 0; i < 6; i++) {
    mb.actions[i] = i % 2;
    mb.oldLogProb[i] = Math.log(0.5) + 0.01 * i;
    mb.advantages[i] = Math.cos(i);
    mb.returns[i] = i * 0.1;
  }
  const loss: LossCase = {
    kind: "ppo",
    learningRate: 0.01,
    clipRange: 0.2,
    clipRangeVf: null,
    entCoef: 0.01,
    vfCoef: 0.5,
    klCoef: 0,
    maxGradNorm: 0.1,
  };
  const w0 = a.getWeights();
  const stats = a.lossAndGradient(mb, lossOf(loss));
  const g = a.getGradients();
  const coef = Math.min(1, 0.1 / (stats.gradNorm + 1e-6));
  a.update(mb, lossOf(loss), stepOf(loss));
  const w1 = a.getWeights();
  // first Adam step: p − lr·m̂/(√v̂ + eps) with m̂ = g, √v̂ = |g|
  for (let t = 0; t < w0.length; t++) {
    for (let i = 0; i < w0[t].data.length; i++) {
      const gi = g[t].data[i] * coef;
      const expected = w0[t].data[i] - 0.01 * gi / (Math.abs(gi) + 1e-5);
      close(w1[t].data[i], expected, 1e-10);
    }
  }
  assert.ok(stats.gradNorm > 0.1, "the clip was active");
  const os = a.getOptimizerState();
  assert.equal(os.step, 1);
  assert.ok(os.tensors.some((t) => t.name === "adam/m/pi/head/kernel"));
  const b = new FastEngine(cfg, { seed: 99, precision: "float64" });
  b.setWeights(w1);
  b.setOptimizerState(os);
  a.update(mb, lossOf(loss), stepOf(loss));
  b.update(mb, lossOf(loss), stepOf(loss));
  assert.deepEqual(b.getWeights().map((t) => [...t.data]), a.getWeights().map((t) => [...t.data]));
});

Deno.test("GAE(λ) by hand, incl. truncation bootstrap and termination", () => {
  // one env, 4 steps, γ = 0.9, λ = 0.8; step 1 truncated (V(final obs) = 10), step 2 terminated
  const buf = new RolloutBuffer(4, 1, { obsDim: 1 });
  const V = [1, 2, 3, 4];
  const term = [0, 0, 1, 0];
  const trunc = [0, 1, 0, 0];
  for (let t = 0; t < 4; t++) {
    buf.add({
      obs: new Float64Array([t]),
      actions: [0],
      logProbs: [0],
      values: [V[t]],
      rewards: [1],
      terminated: [term[t]],
      truncated: [trunc[t]],
      finalValues: [t === 1 ? 10 : 999], // 999 must be ignored where not truncated
    });
  }
  buf.computeReturnsAndAdvantages([5], { gamma: 0.9, lambda: 0.8 });
  // t3: δ = 1 + 0.9·5 − 4 = 1.5; t2 (terminal): δ = 1 − 3 = −2;
  // t1 (truncated): δ = 1 + 0.9·10 − 2 = 8; t0: δ = 1 + 0.9·2 − 1 = 1.8, A = 1.8 + 0.72·8 = 7.56
  const adv = [7.56, 8, -2, 1.5];
  for (let t = 0; t < 4; t++) {
    close(buf.advantages[t], adv[t]);
    close(buf.returns[t], adv[t] + V[t]);
  }
  // terminated AND truncated in the same step: terminal wins, no bootstrap
  const b2 = new RolloutBuffer(1, 1, { obsDim: 1 });
  b2.add({
    obs: new Float64Array(1),
    actions: [0],
    logProbs: [0],
    values: [2],
    rewards: [1],
    terminated: [1],
    truncated: [1],
    finalValues: [10],
  });
  b2.computeReturnsAndAdvantages([7], { gamma: 0.9, lambda: 0.8 });
  close(b2.advantages[0], -1);
});

Deno.test("GAE with two envs keeps envs separate (time-major layout)", () => {
  const buf = new RolloutBuffer(2, 2, { obsDim: 1 });
  for (let t = 0; t < 2; t++) {
    buf.add({
      obs: new Float64Array(2),
      actions: [0, 0],
      logProbs: [0, 0],
      values: [0, 1],
      rewards: [1, 2],
      terminated: [0, 0],
      truncated: [0, 0],
    });
  }
  buf.computeReturnsAndAdvantages([0, 1], { gamma: 1, lambda: 1 });
  // env 0: returns 2, 1; env 1: rewards 2 + 2 + V_last 1 = 5, 3
  assert.deepEqual([...buf.returns], [2, 5, 1, 3]);
});

Deno.test("advantage normalisation (unbiased std) and explained variance", () => {
  const x = new Float64Array([1, 2, 3, 4]);
  normalizeInPlace(x);
  const sd = Math.sqrt(5 / 3);
  close(x[0], -1.5 / (sd + 1e-8));
  close(x[3], 1.5 / (sd + 1e-8));
  const one = new Float64Array([3]);
  normalizeInPlace(one);
  assert.equal(one[0], 3);
  close(explainedVariance(new Float64Array([1, 2, 3]), new Float64Array([1, 2, 3])), 1);
  close(explainedVariance(new Float64Array([2, 2, 2]), new Float64Array([1, 2, 3])), 0);
  assert.ok(Number.isNaN(explainedVariance(new Float64Array([1, 1]), new Float64Array([2, 2]))));
});

Deno.test("RunningMeanStd equals the statistics of all data seen (count starts at 1e-4)", () => {
  const rms = new RunningMeanStd(2, 0);
  const data = [[1, 10], [2, 20], [4, 0], [8, 5], [3, 3]];
  rms.update(data.slice(0, 2).flat(), 2);
  rms.update(data.slice(2).flat(), 3);
  const col = (k: number) => data.map((r) => r[k]);
  for (let k = 0; k < 2; k++) {
    const xs = col(k);
    const m = xs.reduce((a, b) => a + b) / 5;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / 5;
    close(rms.mean[k], m);
    close(rms.var[k], v);
  }
});

Deno.test("VecNormalizer: SB3 obs normalisation/clip, reward scaling, freeze, JSON round trip", () => {
  const n = new VecNormalizer(1, 2, { normReward: true, gamma: 0.5 });
  const out = new Float64Array(2);
  n.normalizeObs(new Float64Array([0, 2]), 2, out, true);
  // count 1e-4 prior at mean 0, var 1 → mean ≈ 1, var ≈ 1
  close(n.obsRms.mean[0], 2 / (2 + 1e-4) * 1, 1e-9);
  close(out[1], (2 - n.obsRms.mean[0]) / Math.sqrt(n.obsRms.var[0] + 1e-8));
  n.normalizeObs(new Float64Array([1000, 1000]), 2, out, false);
  assert.equal(out[0], 10); // clipped at 10 std
  const r = new Float64Array(2);
  n.normalizeRewards([1, 3], [0, 1], r);
  close(r[0], 1 / Math.sqrt(n.retRms.var[0] + 1e-8));
  const frozen = VecNormalizer.fromJSON(JSON.parse(JSON.stringify(n.toJSON())), 1);
  frozen.training = false;
  const before = frozen.toJSON();
  frozen.normalizeObs(new Float64Array([5]), 1, new Float64Array(1), true);
  frozen.normalizeRewards([2], [0], new Float64Array(1));
  assert.deepEqual(frozen.toJSON(), before);
  assert.deepEqual(before.obsMean, n.toJSON().obsMean);
  assert.throws(() => VecNormalizer.fromJSON({} as never), /malformed/);
});

Deno.test("CartPole-v1: Gymnasium physics step, termination, 500-step truncation, clone/restore", () => {
  const env = new CartPoleEnv();
  env.reset({ seed: 3 });
  const st = env.cloneState() as { s: number[] };
  env.restoreState({ ...st, s: [0, 0, 0.05, 0], steps: 0, done: false });
  const r = env.step(1);
  const expected = [0.0, 0.194370546605301, 0.05, -0.2764975752871551];
  for (let i = 0; i < 4; i++) assert.equal(r.observation[i], Math.fround(expected[i]));
  assert.equal(r.reward, 1);
  assert.equal(r.terminated, false);
  // pole past 12° terminates
  env.restoreState({ ...st, s: [0, 0, 0.2094, 1], steps: 0, done: false });
  assert.equal(env.step(1).terminated, true);
  assert.throws(() => env.step(0), /after the episode ended/);
  // truncation: alternate pushes keep it up for 500 steps on this seed's start
  const e2 = new CartPoleEnv({ maxEpisodeSteps: 20 });
  let o = e2.reset({ seed: 1 }).observation;
  let last;
  for (let t = 0; t < 20; t++) {
    last = e2.step(o[2] + 0.5 * o[3] > 0 ? 1 : 0);
    o = last.observation;
    if (t < 19) assert.equal(last.truncated, false);
  }
  assert.equal(last!.truncated, true);
  assert.equal(last!.terminated, false);
  // clone → step → restore → same step again
  const e3 = new CartPoleEnv();
  e3.reset({ seed: 7 });
  const snap = e3.cloneState();
  const a = [...e3.step(1).observation];
  e3.step(0);
  e3.restoreState(snap);
  assert.deepEqual([...e3.step(1).observation], a);
  // resets are seeded
  assert.deepEqual(
    [...new CartPoleEnv().reset({ seed: 5 }).observation],
    [...new CartPoleEnv().reset({ seed: 5 }).observation],
  );
});

Deno.test("Pendulum-v1 physics and point mass / offset-match dynamics", () => {
  const p = new PendulumEnv();
  p.reset({ seed: 0 });
  const st = p.cloneState() as Record<string, unknown>;
  p.restoreState({ ...st, th: Math.PI / 2, thdot: 0 });
  const r = p.step(new Float64Array([1]));
  // cost = (π/2)² + 0 + 0.001; θ̇' = (15·1 + 3·1)·0.05 = 0.9; θ' = π/2 + 0.045
  close(r.reward, -((Math.PI / 2) ** 2 + 0.001));
  close(r.observation[2], Math.fround(0.9));
  close(r.observation[1], Math.fround(Math.sin(Math.PI / 2 + 0.045)));
  const pm = new PointMassEnv();
  const o0 = [...pm.reset({ seed: 2 }).observation];
  const r2 = pm.step(new Float64Array([5, -5])); // clipped to ±1 → moves (0.1, −0.1)
  close(r2.observation[2], o0[2] + 0.1);
  close(r2.observation[3], o0[3] - 0.1);
  close(r2.reward, -Math.hypot(r2.observation[0], r2.observation[1]));
  const om = new OffsetMatchEnv();
  const first = om.reset({ seed: 4 }).observation;
  const cue = first.indexOf(1);
  const offset = first[4] * 5;
  const r3 = om.step(cue);
  close(r3.reward, offset + 1);
  const nextCue = (om.cloneState() as { cue: number }).cue;
  close(om.step((nextCue + 1) % 4).reward, offset); // a wrong action earns just the offset
});

for (const precision of ["float32", "float64"] as const) {
  Deno.test(`determinism (${precision} path): same seed → identical PPO/A2C/GRPO curves and weights; other seed differs`, async () => {
    const runPpo = async (seed: number) => {
      const env = new SyncVecEnv([new CartPoleEnv(), new CartPoleEnv()]);
      const eng = new FastEngine(networkConfigFor("ppo", env), { seed, precision });
      const res = await trainPpo(env, eng, {
        totalTimesteps: 512,
        seed,
        nSteps: 128,
        batchSize: 64,
        nEpochs: 2,
      });
      return {
        logs: res.logs.map((l) => [l.loss, l.approxKl, l.episodeReturnMean]),
        w: eng.getWeights(),
      };
    };
    const a = await runPpo(1);
    const b = await runPpo(1);
    const c = await runPpo(2);
    assert.deepEqual(a.logs, b.logs);
    assert.deepEqual(a.w.map((t) => [...t.data]), b.w.map((t) => [...t.data]));
    assert.notDeepEqual(a.logs, c.logs);

    const runA2c = async (seed: number) => {
      const env = new SyncVecEnv([new PointMassEnv(), new PointMassEnv()]);
      const eng = new FastEngine(networkConfigFor("a2c", env), { seed, precision });
      const res = await trainA2c(env, eng, { totalTimesteps: 400, seed, logInterval: 10 });
      return res.logs.map((l) => [l.loss, l.entropy, l.valueLoss]);
    };
    assert.deepEqual(await runA2c(3), await runA2c(3));
    assert.notDeepEqual(await runA2c(3), await runA2c(4));

    const runGrpo = async (seed: number) => {
      const env = new OffsetMatchEnv();
      const eng = new FastEngine(
        networkConfigFor("grpo", { obsDim: 5, actionSpace: env.actionSpace }),
        { seed, precision },
      );
      const res = await trainGrpo(env, eng, {
        totalTimesteps: 512,
        seed,
        horizon: 4,
        groupsPerUpdate: 4,
      });
      return res.logs.map((l) => [l.loss, l.refKl, l.episodeReturnMean]);
    };
    assert.deepEqual(await runGrpo(5), await runGrpo(5));
    assert.notDeepEqual(await runGrpo(5), await runGrpo(6));
  });
}

Deno.test("GRPO: group members start from the identical state; zero-std groups are counted", async () => {
  // A one-action env: rewards are offset + 1 with a random offset per reset, so a group's
  // returns tie exactly only if every member really started from the same snapshot.
  const env = new OffsetMatchEnv({ nCues: 1 });
  const eng = new FastEngine(
    networkConfigFor("grpo", { obsDim: 2, actionSpace: env.actionSpace }),
    {
      seed: 1,
    },
  );
  const res = await trainGrpo(env, eng, { totalTimesteps: 256, horizon: 4, groupsPerUpdate: 4 });
  assert.ok(res.logs.length > 0);
  for (const l of res.logs) {
    assert.equal(l.zeroStdGroupFraction, 1);
    assert.equal(l.policyLoss, 0); // all advantages 0
  }
  // GRPO refuses envs without clone/restore
  const plain = {
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    reset: () => env.reset(),
    step: (a: number) => env.step(a),
  };
  await assert.rejects(trainGrpo(plain, eng, { totalTimesteps: 10 }), /cloneState/);
});

Deno.test("SmoothedPolicy: EMA of logits, argmax over valid actions, reset", () => {
  const cfg = networkConfigFor("ppo", { obsDim: 4, actionSpace: new CartPoleEnv().actionSpace });
  const eng = new FastEngine(cfg, { seed: 3 });
  const w = eng.getWeights();
  for (const t of w) for (let i = 0; i < t.data.length; i++) t.data[i] += 0.5 * Math.sin(i + 1);
  eng.setWeights(w);
  const o1 = new Float64Array([0.1, -0.2, 0.3, 0.4]);
  const o2 = new Float64Array([-0.5, 0.2, -0.3, -0.4]);
  const plain = new SmoothedPolicy(eng, { alpha: 1 });
  assert.equal(
    plain.act(o2, { deterministic: true }).actions[0],
    eng.act(o2, { deterministic: true }).actions[0],
  );
  const sm = new SmoothedPolicy(eng, { alpha: 0.25 });
  sm.act(o1, { deterministic: true });
  const z1 = eng.policyOutput(o1, 1);
  const z2 = eng.policyOutput(o2, 1);
  const s = [0.25 * z2[0] + 0.75 * z1[0], 0.25 * z2[1] + 0.75 * z1[1]];
  const r = sm.act(o2, { deterministic: true });
  assert.equal(r.actions[0], s[0] >= s[1] ? 0 : 1);
  const lse = Math.log(Math.exp(s[0]) + Math.exp(s[1]));
  close(r.logProb[0], s[r.actions[0]] - lse);
  // masks force the other action
  const forced = sm.act(o2, { deterministic: true, masks: new Uint8Array([1, 0]) });
  assert.equal(forced.actions[0], 0);
  sm.reset();
  assert.equal(
    sm.act(o2, { deterministic: true }).actions[0],
    z2[0] >= z2[1] ? 0 : 1,
  );
  assert.throws(() => new SmoothedPolicy(eng, { alpha: 0 }), /alpha/);
});
