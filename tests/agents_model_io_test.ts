import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../lib/agents/engines/tfjs/backend.ts";
import { FastEngine } from "../lib/agents/engines/fast/fast_engine.ts";
import { TfjsEngine } from "../lib/agents/engines/tfjs/tfjs_engine.ts";
import { loadModel, loadTfjsLayersModel, saveModel } from "../lib/agents/engines/model_io.ts";
import type { NetworkConfig } from "../lib/agents/engines/engine.ts";
import { Rng } from "../lib/util/prng.ts";
import { ModelError } from "../lib/util/errors.ts";

await selectBackend("cpu");

function cfg(head: "categorical" | "gaussian", critic = true): NetworkConfig {
  return {
    obsDim: 6,
    piHidden: [16, 16],
    vfHidden: critic ? [8] : [],
    critic,
    head: head === "categorical"
      ? { kind: "categorical", n: 3 }
      : { kind: "gaussian", dim: 2, logStdInit: -0.5 },
    optimizer: { kind: "adam", eps: 1e-5 },
  };
}

function obsBatch(n: number, d: number): Float64Array {
  const r = new Rng(5);
  return new Float64Array(n * d).map(() => r.normal());
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const head of ["categorical", "gaussian"] as const) {
  for (const critic of [true, false]) {
    Deno.test(`model_io: ${head}${critic ? "" : " (no critic)"} fast → file → tfjs engine and plain tfjs`, async () => {
      const dir = Deno.makeTempDirSync();
      const net = cfg(head, critic);
      const fast = new FastEngine(net, { seed: 9 });
      // perturb away from the init (non-zero biases, trained-looking head)
      const rng = new Rng(1);
      fast.setWeights(
        fast.getWeights().map((w) => ({ ...w, data: w.data.map((x) => x + 0.3 * rng.normal()) })),
      );
      const norm = { obsMean: [1, 2], note: "any JSON" };
      await saveModel(dir, {
        network: net,
        weights: fast.getWeights(),
        normalizer: norm,
        metadata: { engine: "fast" },
      });
      for (
        const f of [
          "model.json",
          "weights.bin",
          "weights_f64.bin",
          "policy.json",
          "normalizer.json",
        ]
      ) {
        assert.ok(Deno.statSync(`${dir}/${f}`).isFile, f);
      }
      const loaded = await loadModel(dir);
      assert.equal(loaded.precision, "float64");
      assert.deepEqual(loaded.normalizer, norm);
      assert.equal(loaded.metadata.engine, "fast");
      assert.deepEqual(loaded.network, net);
      // exact float64 round trip
      const orig = fast.getWeights();
      for (let i = 0; i < orig.length; i++) {
        assert.equal(loaded.weights[i].name, orig[i].name);
        assert.deepEqual(Array.from(loaded.weights[i].data), Array.from(orig[i].data));
      }
      const obs = obsBatch(7, net.obsDim);
      const refOut = fast.policyOutput(obs, 7);
      const refV = fast.predictValues(obs, 7);

      // the tfjs engine loads the same files
      const tfe = new TfjsEngine(loaded.network, { weights: loaded.weights });
      assert.ok(maxAbsDiff(tfe.policyOutput(obs, 7), refOut) < 1e-5);
      if (critic) assert.ok(maxAbsDiff(tfe.predictValues(obs, 7), refV) < 1e-5);

      // plain tfjs: tf.loadLayersModel(tf.io.fromMemory(...)) on model.json + weights.bin
      const model = await loadTfjsLayersModel(dir);
      const x = tf.tensor2d(Float32Array.from(obs), [7, net.obsDim]);
      const out = model.predict(x);
      const outs = Array.isArray(out) ? out : [out];
      assert.equal(outs.length, critic ? 2 : 1);
      assert.ok(maxAbsDiff(outs[0].dataSync(), refOut) < 1e-5);
      if (critic) assert.ok(maxAbsDiff(outs[1].dataSync(), refV) < 1e-5);
      // model.json is the standard tfjs layout
      const mj = JSON.parse(Deno.readTextFileSync(`${dir}/model.json`));
      assert.equal(mj.format, "layers-model");
      assert.deepEqual(mj.weightsManifest[0].paths, ["weights.bin"]);
      assert.equal(mj.modelTopology.class_name, "Model");
      tf.dispose([x, ...outs]);
      model.dispose();

      // tfjs engine → file → fast engine (float32 weights: exact copy off)
      const dir2 = Deno.makeTempDirSync();
      await saveModel(dir2, { network: net, weights: tfe.getWeights() }, { exact: false });
      const back = await loadModel(dir2);
      assert.equal(back.precision, "float32");
      assert.equal(back.normalizer, null);
      const fast2 = new FastEngine(back.network, { weights: back.weights });
      assert.ok(maxAbsDiff(fast2.policyOutput(obs, 7), tfe.policyOutput(obs, 7)) < 1e-5);
      tfe.dispose();
      Deno.removeSync(dir, { recursive: true });
      Deno.removeSync(dir2, { recursive: true });
    });
  }
}

Deno.test("model_io: a mismatched weights.bin or missing file is a ModelError", async () => {
  const dir = Deno.makeTempDirSync();
  const net = cfg("categorical");
  const fast = new FastEngine(net, { seed: 1 });
  await saveModel(dir, { network: net, weights: fast.getWeights() });
  const bin = Deno.readFileSync(`${dir}/weights.bin`);
  bin[10] ^= 0xff;
  Deno.writeFileSync(`${dir}/weights.bin`, bin);
  await assert.rejects(
    () => loadModel(dir),
    (e) => e instanceof ModelError && /hash differs/.test(e.message),
  );
  Deno.removeSync(`${dir}/policy.json`);
  await assert.rejects(() => loadModel(dir), ModelError);
  await assert.rejects(
    () => saveModel(dir, { network: net, weights: fast.getWeights().slice(1) }),
    ModelError,
  );
  Deno.removeSync(dir, { recursive: true });
});
