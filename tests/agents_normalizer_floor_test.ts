/**
 * The observation normaliser's variance floor (issue 19, point 3): a dimension that was
 * constant through training (open interest missing from the training split, so the OI
 * features are the neutral 0) must not map every later real value onto the ±10 clip.
 *
 * Compared with the real alternative: the same normaliser with the floor off
 * (`constantShare: 0`, plain SB3 `VecNormalize`) saturates on the same inputs, so these tests
 * fail if the floor stops applying. They cannot tell whether a policy trained with the floor
 * behaves well on the new values — only that its inputs stay in the feature's own unit.
 */
import assert from "node:assert/strict";
import { VecNormalizer } from "../lib/agents/normalizer.ts";
import { buildTradingSetup } from "../lib/experiment/setup.ts";
import { OBS_INDEX } from "../lib/env/mod.ts";
import { Rng } from "../lib/util/mod.ts";
import { writeByodFiles } from "./byod_fixture.ts";

Deno.test("normaliser floor: a dim constant in training is centred, not scaled; listed in JSON", () => {
  const train = (n: VecNormalizer) => {
    const rng = new Rng(1); // the same stream for both normalisers
    const x = new Float64Array(4 * 3);
    for (let step = 0; step < 2_000; step++) {
      for (let e = 0; e < 4; e++) {
        x[e * 3] = rng.normal() * 0.01; // a real feature
        x[e * 3 + 1] = 0; // OI change: neutral through training
        x[e * 3 + 2] = step === 7 && e === 0 ? 1e-6 : 0; // one tiny blip (0.0125 % of rows)
      }
      n.normalizeObs(x, 4, new Float64Array(12), true);
    }
    n.training = false;
  };
  const floor = new VecNormalizer(3, 4);
  const sb3 = new VecNormalizer(3, 4, { constantShare: 0 });
  train(floor);
  train(sb3);
  assert.deepEqual(floor.constantDims(), [1, 2]);
  assert.deepEqual(sb3.constantDims(), []);
  const later = new Float64Array([0.01, 0.005, -0.02]); // real OI changes after training
  const a = floor.normalizeObs(later, 1, new Float64Array(3));
  const b = sb3.normalizeObs(later, 1, new Float64Array(3));
  assert.ok(Math.abs(a[0] - 1) < 0.1, `real feature scaled by its std: ${a[0]}`);
  assert.ok(Math.abs(a[1] - 0.005) < 1e-9, `centred only: ${a[1]}`);
  assert.ok(Math.abs(a[2] + 0.02) < 1e-6, `centred only: ${a[2]}`);
  assert.equal(Math.abs(b[1]), 10, "without the floor the value hits the clip");
  assert.equal(Math.abs(b[2]), 10);
  // While training, the floor does not apply (training normalises exactly as SB3).
  floor.training = true;
  assert.equal(Math.abs(floor.normalizeObs(later, 1, new Float64Array(3))[1]), 10);
  floor.training = false;
  // The scaled dim is unchanged by the floor (same as SB3).
  assert.equal(a[0], b[0]);
  // Saved and loaded: the constant dims are listed and the floor still applies.
  const json = floor.toJSON();
  assert.deepEqual(json.constant, [1, 2]);
  const back = VecNormalizer.fromJSON(JSON.parse(JSON.stringify(json)), 1);
  back.training = false; // as loadRun / NormalizedPolicy freeze it for evaluation
  assert.deepEqual(back.constantDims(), [1, 2]);
  assert.deepEqual([...back.normalizeObs(later, 1, new Float64Array(3))], [...a]);
});

Deno.test("normaliser floor: OI only after the training split — no ±10 saturation on test", async () => {
  const dir = await Deno.makeTempDir({ prefix: "normfloor_" });
  try {
    // OI on the last 30 % of the bars = validation + test of a 70/15/15 split, none in train.
    const f = await writeByodFiles(dir, { oiShare: 0.3 });
    const setup = await buildTradingSetup({
      data: f.klines,
      oi: f.oi,
      funding: f.funding,
      fundingScale: 8,
      signals: "none",
      signalsCache: null,
      episodeLength: 512,
      maxMissingShare: 1, // the coverage policy would refuse this; here we test the normaliser
    });
    assert.equal(setup.info!.coverage.splits[0].oiBars, 0);
    assert.equal(setup.info!.coverage.splits[2].oiShare, 1);
    const dims = [OBS_INDEX.oi_change_20, OBS_INDEX.oi_price_divergence_20];
    const rng = new Rng(3);
    const norms = [new VecNormalizer(20, 1), new VecNormalizer(20, 1, { constantShare: 0 })];
    const out = new Float64Array(20);
    const env = setup.makeTrainEnv(0);
    let obs = env.reset().observation;
    for (let t = 0; t < 3_000; t++) {
      for (const n of norms) n.normalizeObs(obs, 1, out, true);
      const r = env.step(rng.int(6));
      obs = r.terminated || r.truncated ? env.reset().observation : r.observation;
    }
    const floor = norms[0];
    for (const k of dims) assert.ok(floor.constantDims().includes(k), `dim ${k} constant`);
    for (const n of norms) n.training = false;
    const test = setup.makeEvalEnv("test");
    obs = test.reset().observation;
    const maxAbs = [0, 0];
    let nonZeroOi = 0;
    for (let t = 0; t < 400; t++) {
      if (obs[dims[0]] !== 0) nonZeroOi++;
      norms.forEach((n, i) => {
        n.normalizeObs(obs, 1, out);
        for (const k of dims) maxAbs[i] = Math.max(maxAbs[i], Math.abs(out[k]));
      });
      const r = test.step(0);
      if (r.terminated || r.truncated) break;
      obs = r.observation;
    }
    assert.ok(nonZeroOi > 300, `test split carries real OI values (${nonZeroOi})`);
    assert.ok(maxAbs[0] < 1, `with the floor: max |normalised OI| ${maxAbs[0]}`);
    assert.equal(maxAbs[1], 10, "without it every real OI value saturates the clip");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
