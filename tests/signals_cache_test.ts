/**
 * The signals cache: a second run on the same data reads the signals back and trains NO
 * model (counted through the injectable trainer, not timed); a different feature config,
 * signal config or data is a miss; a torn file is a miss, never an error; writes leave no
 * temp files. Cannot catch: changes of the MLP code itself (the key does not hash code:
 * SIGNAL_CACHE_VERSION must be bumped with it).
 */
import assert from "node:assert/strict";
import { computeFeatures } from "@lib/features/mod.ts";
import {
  buildSignals,
  buildSignalsCached,
  type SignalOptions,
  type SignalRun,
} from "@lib/signals/mod.ts";
import type { FeatureMatrix } from "@lib/features/mod.ts";
import type { MarketData } from "@lib/data/mod.ts";
import { cloneMarket, randomWalkMarket } from "./features_fixture.ts";

const FAST: SignalOptions = { folds: 3, epochs: 2, hidden: [8], batchSize: 128, seed: 5 };

Deno.test("signals cache: the second call trains no model and returns identical signals", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sigcache_" });
  try {
    let trainings = 0;
    const train = (md: MarketData, fm: FeatureMatrix, o: SignalOptions): Promise<SignalRun> => {
      trainings++;
      return buildSignals(md, fm, o);
    };
    const md = randomWalkMarket(3000);
    const fm = computeFeatures(md);
    const opts = { ...FAST, cacheDir: dir, train, featureConfig: { exclude: [] } };
    const a = await buildSignalsCached(md, fm, opts);
    assert.equal(trainings, 1);
    assert.equal(a.cached, false);
    const b = await buildSignalsCached(md, fm, opts);
    assert.equal(trainings, 1, "second call must not train");
    assert.equal(b.cached, true);
    assert.equal(b.key, a.key);
    for (const k of ["time", "signal", "confidence", "target", "available"] as const) {
      assert.deepEqual(Array.from(b.signals[k]), Array.from(a.signals[k]), k);
    }
    assert.equal(b.signals.horizon, a.signals.horizon);
    assert.deepEqual(b.config, a.config);
    // Atomic writes: exactly one entry, no temp file left.
    const files = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(files, [`${a.key}.signals.bin`]);
    // Misses: another feature config, another signal seed, other data.
    await buildSignalsCached(md, fm, { ...opts, featureConfig: { exclude: ["oi"] } });
    assert.equal(trainings, 2);
    await buildSignalsCached(md, fm, { ...opts, seed: 6 });
    assert.equal(trainings, 3);
    const md2 = cloneMarket(md);
    md2.close[2500] *= 1.01;
    await buildSignalsCached(md2, computeFeatures(md2), opts);
    assert.equal(trainings, 4);
    // A torn entry is a miss (retrained, rewritten), not an error.
    const f = `${dir}/${a.key}.signals.bin`;
    const bytes = await Deno.readFile(f);
    await Deno.writeFile(f, bytes.subarray(0, bytes.length - 7));
    const c = await buildSignalsCached(md, fm, opts);
    assert.equal(c.cached, false);
    assert.equal(trainings, 5);
    assert.equal((await buildSignalsCached(md, fm, opts)).cached, true);
    assert.equal(trainings, 5);
    // cacheDir null disables the cache.
    await buildSignalsCached(md, fm, { ...opts, cacheDir: null });
    assert.equal(trainings, 6);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
