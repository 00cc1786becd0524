import assert from "node:assert/strict";
import { CartPoleEnv } from "../lib/env/classic_control.ts";
import { SyncVecEnv } from "../lib/env/vec_env.ts";
import { FastEngine } from "../lib/agents/engines/fast/fast_engine.ts";
import { networkConfigFor } from "../lib/agents/common.ts";
import { trainPpo } from "../lib/agents/ppo.ts";
import { VecNormalizer } from "../lib/agents/normalizer.ts";
import {
  listCheckpoints,
  loadRun,
  readMetrics,
  readModelFolder,
  RunDir,
  writeModelFolderAtomic,
} from "../lib/experiment/run_dir.ts";
import {
  CheckpointCallback,
  EvalCallback,
  MetricsLogger,
  ProgressBar,
} from "../lib/experiment/callbacks.ts";
import { evaluatePolicy } from "../lib/backtest/evaluate.ts";
import { ConfigError, ModelError } from "../lib/util/errors.ts";
import { Rng } from "../lib/util/prng.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function manifestFields() {
  return {
    algorithm: "ppo",
    engine: "fast" as const,
    backend: "cpu",
    seed: 3,
    data: { source: "cartpole", sha256: null },
    gitCommit: null,
    versions: { deno: Deno.version.deno, v8: Deno.version.v8, typescript: "", tfjs: "" },
    totalTimesteps: 2048,
  };
}

Deno.test("run: PPO on CartPole with logging, evaluation, checkpoints, best model, reload", async () => {
  const dir = Deno.makeTempDirSync();
  const runDir = `${dir}/run1`;
  try {
    const env = new SyncVecEnv([new CartPoleEnv(), new CartPoleEnv()]);
    const net = networkConfigFor("ppo", { obsDim: 4, actionSpace: env.actionSpace }, {
      hidden: [16],
    });
    const engine = new FastEngine(net, { seed: 3 });
    const normalizer = new VecNormalizer(4, 2);
    const run = await RunDir.create(runDir, { config: { hello: 1 }, manifest: manifestFields() });
    const evalCb = new EvalCallback({
      env: new CartPoleEnv(),
      evalFreq: 512,
      episodes: 2,
      run,
      patience: 0,
    });
    const ckpt = new CheckpointCallback({ run, freq: 1024, best: () => evalCb.best });
    const lines: string[] = [];
    const bar = new ProgressBar({
      write: (s) => lines.push(s),
      inPlace: false,
      lastEval: () => evalCb.last && { metric: "ret", value: evalCb.last.meanReturn },
    });
    const res = await trainPpo(env, engine, {
      totalTimesteps: 2048,
      nSteps: 128,
      batchSize: 64,
      nEpochs: 2,
      seed: 3,
      normalizer,
      callbacks: [new MetricsLogger(run), evalCb, ckpt, bar],
    });
    await run.saveFinal({
      engine,
      normalizer,
      state: {
        timesteps: res.timesteps,
        updates: res.updates,
        algorithm: "ppo",
        engine: "fast",
        best: evalCb.best,
      },
    });
    await run.writeManifest({ status: "completed", timesteps: res.timesteps, best: evalCb.best });
    run.close();

    // files
    for (
      const f of [
        "config.json",
        "manifest.json",
        "metrics.jsonl",
        "model.json",
        "weights.bin",
        "policy.json",
        "normalizer.json",
        "optimizer.json",
        "optimizer.bin",
        "state.json",
      ]
    ) {
      assert.ok(Deno.statSync(`${runDir}/${f}`).isFile, f);
    }
    assert.ok([...Deno.readDirSync(runDir)].some((e) => e.name.startsWith("events.out.tfevents.")));
    assert.deepEqual(listCheckpoints(runDir), [1024, 2048]);
    assert.equal(ckpt.saved.length, 2);
    const metrics = await readMetrics(runDir);
    const updates = metrics.filter((m) => m.type === "update");
    const evals = metrics.filter((m) => m.type === "eval");
    assert.equal(updates.length, 2048 / 256);
    assert.equal(evals.length, 4); // every 512 steps (each update is 256 steps)
    assert.ok(evals.every((e) => typeof e.meanReturn === "number"));
    assert.ok(evalCb.best !== null);
    assert.ok(lines.length >= 5 && lines.at(-1)!.includes("2,048/2,048 steps"));
    const manifest = JSON.parse(Deno.readTextFileSync(`${runDir}/manifest.json`));
    assert.equal(manifest.status, "completed");
    assert.equal(manifest.timesteps, 2048);

    // final model reloads into both engines, with the frozen normaliser, deterministically
    const loaded = await loadRun(runDir);
    assert.equal(loaded.precision, "float64");
    assert.ok(loaded.normalizer && loaded.normalizer.training === false);
    assert.deepEqual(loaded.normalizer.toJSON().obsMean, normalizer.toJSON().obsMean);
    const w0 = engine.getWeights();
    loaded.engine.getWeights().forEach((w, i) =>
      assert.deepEqual(Array.from(w.data), Array.from(w0[i].data))
    );
    const ev1 = evaluatePolicy(new CartPoleEnv(), loaded.policy, { episodes: 2, seed: 9 });
    const ev2 = evaluatePolicy(new CartPoleEnv(), loaded.policy, { episodes: 2, seed: 9 });
    assert.deepEqual(ev1.returns, ev2.returns);
    const tf = await loadRun(runDir, { engine: "tfjs" });
    const ev3 = evaluatePolicy(new CartPoleEnv(), tf.policy, { episodes: 2, seed: 9 });
    assert.deepEqual(ev3.lengths, ev1.lengths); // same actions (float32 vs float64 argmax)
    tf.engine.dispose();

    // best model and a checkpoint with optimiser state (resume)
    const best = await loadRun(runDir, { which: "best" });
    assert.ok(
      best.state && best.state.best && best.state.best.timesteps === evalCb.best!.timesteps,
    );
    const ck = await loadRun(runDir, { which: 1024, withOptimizer: true });
    assert.equal(ck.state!.timesteps, 1024);
    assert.ok(ck.engine.getOptimizerState().step > 0);
    const snap = await readModelFolder(`${runDir}/checkpoints/2048`);
    assert.equal(snap.optimizer!.step, engine.getOptimizerState().step);
    assert.deepEqual(
      Array.from(snap.optimizer!.tensors[0].data),
      Array.from(engine.getOptimizerState().tensors[0].data),
    );

    // reusing a non-empty folder without resume is a ConfigError
    await assert.rejects(
      () => RunDir.create(runDir, { config: {}, manifest: manifestFields() }),
      ConfigError,
    );
    const again = await RunDir.create(runDir, {
      config: {},
      manifest: manifestFields(),
      resume: true,
    });
    again.close();
    await assert.rejects(() => loadRun(runDir, { which: 999 }), ModelError);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("run: SIGKILL at random moments always leaves the previous checkpoint loadable", async () => {
  const dir = Deno.makeTempDirSync();
  const script = `${dir}/writer.ts`;
  // A child that writes checkpoints of a fresh (different) model in a tight loop, forever.
  Deno.writeTextFileSync(
    script,
    `
import { FastEngine } from "${ROOT}lib/agents/engines/fast/fast_engine.ts";
import { RunDir } from "${ROOT}lib/experiment/run_dir.ts";
import { VecNormalizer } from "${ROOT}lib/agents/normalizer.ts";
const runDir = Deno.args[0];
const net = { obsDim: 8, piHidden: [64, 64], vfHidden: [64, 64], critic: true,
  head: { kind: "categorical", n: 6 }, optimizer: { kind: "adam", eps: 1e-5 } } as const;
const run = await RunDir.create(runDir, { config: {}, resume: true, tensorboard: false, keepCheckpoints: 3,
  manifest: { algorithm: "ppo", engine: "fast", backend: "cpu", seed: 0, data: { source: "x", sha256: null },
    gitCommit: null, versions: { deno: "", v8: "", typescript: "", tfjs: "" }, totalTimesteps: 0 } });
for (let step = 1; ; step++) {
  const engine = new FastEngine(net, { seed: step });
  const normalizer = new VecNormalizer(8, 1);
  normalizer.obsRms.count = step;
  await run.saveCheckpoint({ engine, normalizer, state: { timesteps: step, updates: step, algorithm: "ppo", engine: "fast", best: null } });
  await run.saveBest({ engine, normalizer, state: { timesteps: step, updates: step, algorithm: "ppo", engine: "fast", best: null } });
  run.logMetrics({ type: "update", timesteps: step, pad: "x".repeat(2000) });
  console.log(step);
}
`,
  );
  const rng = new Rng(42);
  let checked = 0;
  try {
    for (let trial = 0; trial < 5; trial++) {
      const runDir = `${dir}/run`;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "--config", `${ROOT}deno.json`, script, runDir],
        stdout: "piped",
        stderr: "inherit",
        cwd: ROOT,
      }).spawn();
      // wait until the child has written at least a few checkpoints, then kill at a random delay
      const reader = child.stdout.getReader();
      let seen = "";
      while (!/(^|\n)3\n/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      assert.ok(/(^|\n)3\n/.test(seen), "the writer child did not start");
      await new Promise((r) => setTimeout(r, 5 + rng.int(150)));
      child.kill("SIGKILL");
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      const status = await child.status;
      assert.equal(status.signal, "SIGKILL");
      // every numbered checkpoint folder is complete and consistent
      const steps = listCheckpoints(runDir);
      assert.ok(steps.length >= 1);
      for (const s of steps) {
        const r = await loadRun(runDir, { which: s, withOptimizer: true });
        assert.equal(r.state!.timesteps, s);
        // the weights are exactly the seed-s initialisation: nothing torn or mixed
        const expect = new FastEngine(r.engine.config, { seed: s }).getWeights();
        r.engine.getWeights().forEach((w, i) => assert.deepEqual(w.data, expect[i].data));
        assert.equal(r.normalizer!.obsRms.count, s);
        checked++;
      }
      const best = await loadRun(runDir, { which: "best" });
      assert.ok(best.state!.timesteps >= 1);
      await readMetrics(runDir); // torn last line tolerated
      // reopening cleans orphans of the killed writer
      const reopened = await RunDir.create(runDir, {
        config: {},
        resume: true,
        tensorboard: false,
        manifest: manifestFields(),
      });
      reopened.close();
      for (const e of Deno.readDirSync(`${runDir}/checkpoints`)) {
        assert.ok(/^\d+$/.test(e.name), e.name);
      }
      assert.ok(Deno.statSync(`${runDir}/best/policy.json`).isFile);
    }
    assert.ok(checked >= 5);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("run: writeModelFolderAtomic replaces an existing folder", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const net = networkConfigFor("a2c", { obsDim: 3, actionSpace: new CartPoleEnv().actionSpace });
    for (const seed of [1, 2]) {
      await writeModelFolderAtomic(`${dir}/m`, {
        engine: new FastEngine(net, { seed }),
        normalizer: null,
        state: { timesteps: seed, updates: 0, algorithm: "a2c", engine: "fast", best: null },
      });
    }
    const snap = await readModelFolder(`${dir}/m`);
    assert.equal(snap.state!.timesteps, 2);
    assert.deepEqual(snap.weights[0].data, new FastEngine(net, { seed: 2 }).getWeights()[0].data);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["m"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("run: reopening restores a folder moved aside by an interrupted swap and drops temp folders", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const net = networkConfigFor("ppo", { obsDim: 3, actionSpace: new CartPoleEnv().actionSpace });
    const snap = {
      engine: new FastEngine(net, { seed: 5 }),
      normalizer: null,
      state: { timesteps: 5, updates: 1, algorithm: "ppo", engine: "fast" as const, best: null },
    };
    const run = await RunDir.create(`${dir}/r`, {
      config: {},
      manifest: manifestFields(),
      tensorboard: false,
    });
    await run.saveBest(snap);
    await run.saveCheckpoint(snap);
    run.close();
    // simulate kills between the two renames of a replacement, and mid-write
    Deno.renameSync(`${dir}/r/best`, `${dir}/r/.old-best-0123abcd`);
    Deno.renameSync(`${dir}/r/checkpoints/5`, `${dir}/r/checkpoints/.old-5-89abcdef`);
    Deno.mkdirSync(`${dir}/r/checkpoints/.tmp-6-00000000`);
    const best = await loadRun(`${dir}/r`, { which: "best" }); // loader falls back to the aside copy
    assert.equal(best.state!.timesteps, 5);
    const again = await RunDir.create(`${dir}/r`, {
      config: {},
      manifest: manifestFields(),
      resume: true,
      tensorboard: false,
    });
    again.close();
    assert.ok(Deno.statSync(`${dir}/r/best/policy.json`).isFile);
    assert.deepEqual(listCheckpoints(`${dir}/r`), [5]);
    assert.deepEqual([...Deno.readDirSync(`${dir}/r/checkpoints`)].map((e) => e.name), ["5"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
