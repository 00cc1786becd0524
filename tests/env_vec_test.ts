import assert from "node:assert/strict";
import { Action, FuturesTradingEnv, SyncVecEnv } from "../lib/env/mod.ts";
import { EnvError } from "../lib/util/errors.ts";
import { Rng } from "../lib/util/prng.ts";
import { makeTestFeatures, makeTestMarket } from "./env_fixtures.ts";

const MD = makeTestMarket({ bars: 3000, seed: 2 });
const FM = makeTestFeatures(MD);
const make = (n: number, len: number) =>
  new SyncVecEnv(
    Array.from({ length: n }, () =>
      new FuturesTradingEnv({ market: MD, features: FM, episodeLength: len })),
  );

Deno.test("SyncVecEnv: same-step auto-reset keeps the final observation and a copy of the final info", () => {
  const n = 3;
  const L = 7;
  const vec = make(n, L);
  const solo = Array.from(
    { length: n },
    () => new FuturesTradingEnv({ market: MD, features: FM, episodeLength: L }),
  );
  const obs = vec.reset({ seed: 10 });
  solo.forEach((e, i) =>
    assert.deepEqual(e.reset({ seed: 10 + i }).observation, obs.subarray(i * 20, (i + 1) * 20))
  );
  const rng = new Rng(1);
  const actions = new Float64Array(n);
  let ends = 0;
  for (let k = 0; k < 30; k++) {
    for (let i = 0; i < n; i++) actions[i] = rng.int(6);
    vec.step(actions);
    for (let i = 0; i < n; i++) {
      const r = solo[i].step(actions[i]);
      assert.equal(vec.rewards[i], r.reward);
      assert.equal(vec.truncated[i], r.truncated ? 1 : 0);
      assert.equal(vec.terminated[i], r.terminated ? 1 : 0);
      if (r.truncated || r.terminated) {
        ends++;
        assert.deepEqual(vec.finalObservations.subarray(i * 20, (i + 1) * 20), r.observation);
        const fi = vec.finalInfos[i]!;
        assert.equal(fi.equity, r.info.equity);
        assert.notEqual(fi, (vec.envs[i] as FuturesTradingEnv).info, "a copy, not the live object");
        const rr = solo[i].reset();
        assert.deepEqual(vec.observations.subarray(i * 20, (i + 1) * 20), rr.observation);
        assert.equal(
          (vec.envs[i] as FuturesTradingEnv).info.episodeStep,
          0,
          "the sub-env was reset",
        );
      } else {
        assert.equal(vec.finalInfos[i], undefined);
        assert.deepEqual(vec.observations.subarray(i * 20, (i + 1) * 20), r.observation);
      }
    }
  }
  assert.equal(ends, n * Math.floor(30 / L));
});

Deno.test("SyncVecEnv: deterministic under the same seed, different under another", () => {
  const run = (seed: number) => {
    const vec = make(4, 50);
    vec.reset({ seed });
    const rng = new Rng(5);
    const actions = new Float64Array(4);
    const out: number[] = [];
    for (let k = 0; k < 300; k++) {
      for (let i = 0; i < 4; i++) actions[i] = rng.int(6);
      vec.step(actions);
      out.push(...vec.observations, ...vec.rewards, ...vec.truncated);
    }
    return out;
  };
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
});

Deno.test("SyncVecEnv: action masks per sub-env and bad action arrays", () => {
  const vec = make(2, 20);
  vec.reset({ seed: 1 });
  vec.step(Float64Array.of(Action.ENTER_LONG, Action.HOLD));
  const masks = new Uint8Array(12);
  vec.actionMasks(masks);
  assert.deepEqual([...masks.subarray(0, 6)], [1, 0, 0, 1, 1, 1]);
  assert.deepEqual([...masks.subarray(6, 12)], [1, 1, 1, 0, 0, 0]);
  assert.throws(() => vec.step(Float64Array.of(0)), EnvError);
  const before = vec.observations.slice();
  assert.throws(() => vec.step(Float64Array.of(0, 9)), /sub-env 1/);
  assert.deepEqual(vec.observations, before, "a bad batch steps no sub-env");
  assert.equal((vec.envs[0] as FuturesTradingEnv).info.episodeStep, 1);
  assert.throws(() => new SyncVecEnv([]), RangeError);
});
