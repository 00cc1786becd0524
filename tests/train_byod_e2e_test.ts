/**
 * Issue 19 "Done means", through `deno task train` (cli/train.ts as a subprocess): klines in
 * the Binance archive layout, an OI file `t,oi,oi_usd` (t = bar END) covering only the last
 * 40 % of the period and a funding file `timestamp_ms,funding_rate` holding the rate ÷ 8.
 *
 * 1. Without options: the detected layouts, the funding-unit warning naming `--funding-scale
 *    8`, the coverage report per split, then the refusal naming both remedies — exit 2,
 *    before any signal model or run folder.
 * 2. `--funding-scale 8 --features -oi`: trains (tiny budget); the manifest records symbol,
 *    layouts, funding units, coverage, the excluded family and the signals cache key; with
 *    `--norm-obs` the never-varying OI observations are warned about and listed in
 *    normalizer.json (variance floor).
 * 3. The same command again: the signals come from the cache — the manifest says no signal
 *    model was trained and the log says so (a flag, not a timing).
 * 4. The refusal's other remedy (its suggested `--split` dates inside the covered window)
 *    passes the coverage policy with the OI features kept.
 *
 * Cannot catch: whether the trained policies are any good (budget is tiny), or real-data
 * layouts beyond the fixture's (see tests/data_layouts_test.ts).
 * Runtime ≈ 40 s (four subprocesses, one walk-forward signal training).
 */
import assert from "node:assert/strict";
import { writeByodFiles } from "./byod_fixture.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function train(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}cli/train.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("train --data/--oi/--funding: layouts, units warning, coverage, refusal, --features -oi, cached signals", async () => {
  const dir = await Deno.makeTempDir({ prefix: "train_byod_" });
  try {
    // 20 days of 5-minute bars; OI on the last 40 % (from bar 3,456).
    const f = await writeByodFiles(dir, { bars: 288 * 20 });
    const cache = `${dir}/signals-cache`;
    // the 70/15/15 split this fixture's coverage numbers were laid out for (default: 60/15/25)
    const files = [
      "--data",
      f.klines,
      "--oi",
      f.oi,
      "--funding",
      f.funding,
      "--split",
      "0.7,0.15,0.15",
    ];
    const tiny = [
      "--symbol",
      "BTCUSDT",
      "--timesteps",
      "512",
      "--n-steps",
      "256",
      "--episode-length",
      "512",
      "--eval-freq",
      "512",
      "--checkpoint-freq",
      "0",
      "--backend",
      "cpu",
      "--no-progress",
      "--signals-cache",
      cache,
    ];

    // 1. As given: warning + coverage + refusal, nothing trained.
    const refused = await train([...files, ...tiny, "--out", `${dir}/refused`]);
    assert.equal(refused.code, 2, refused.stderr);
    const e = refused.stderr;
    assert.match(e, /^bars: Binance kline archive CSV: time open_time = epoch ms, bar open/m);
    assert.match(e, /^oi: open-interest CSV .*time t = epoch ms, snapshot instant = period end/m);
    assert.match(e, /^funding: funding CSV .*time timestamp_ms = epoch ms, settlement instant/m);
    assert.match(e, /^data: .* — 5760 bars of 5m \(BTCUSDT\)$/m);
    assert.match(e, /^warning: .*funding_export\.csv.*understated 8×.*--funding-scale 8/m);
    assert.match(e, /^train +4032 .* 14\.3 % \(576\) /m);
    assert.match(e, /^validation +864 .* 100\.0 % \(864\) /m);
    assert.match(e, /^test +864 .* 100\.0 % \(864\) /m);
    assert.match(e, /^OI known from 2024-01-13T00:00 to 2024-01-20T23:55 UTC$/m);
    assert.match(
      e,
      /^error: open interest is missing on 85\.7 % of the training split \(3456 of 4032 bars; allowed 20 %\)/m,
    );
    assert.match(e, /Options: drop the open interest features with --features -oi/);
    const suggested = /restrict the splits to the covered window .* \(e\.g\. --split (\S+):/.exec(
      e,
    );
    assert.ok(suggested, e);
    assert.doesNotMatch(e, /signals:/, "refused before any signal model");
    assert.doesNotMatch(e, /Error\n\s+at /, "no stack trace");
    assert.ok(!exists(`${dir}/refused`), "no run folder");

    // 2. Both remedies for the data: --funding-scale 8 and --features -oi.
    const fixed = [...files, "--funding-scale", "8", "--features", "-oi", ...tiny];
    const first = await train([...fixed, "--norm-obs", "--out", `${dir}/run1`]);
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stderr, /^warning: .*funding/m);
    assert.match(first.stderr, /^features: dropped oi /m);
    assert.match(first.stderr, /^signals: training walk-forward ML models/m);
    assert.match(first.stdout, /trained ppo for 512 steps/);
    // The OI observations never vary in training (dropped): the normaliser floors their
    // variance, lists them in normalizer.json and the run warns.
    assert.match(
      first.stderr,
      /^warning: observation normaliser: .*oi_price_divergence_20, oi_change_20/m,
    );
    const norm = JSON.parse(await Deno.readTextFile(`${dir}/run1/normalizer.json`));
    assert.ok(
      norm.constant.includes(9) && norm.constant.includes(10),
      JSON.stringify(norm.constant),
    );
    const m1 = JSON.parse(await Deno.readTextFile(`${dir}/run1/manifest.json`));
    assert.equal(m1.status, "completed");
    assert.equal(m1.data.symbol, "BTCUSDT");
    assert.equal(m1.data.layouts.oi.length, 1);
    assert.equal(m1.data.funding.intervalHours, 8);
    assert.equal(m1.data.funding.scale, 8);
    assert.equal(m1.data.funding.looksLike, "per-settlement");
    assert.deepEqual(m1.data.excludedFeatures, ["oi"]);
    assert.deepEqual(
      m1.data.coverage.decisions.map((d: { family: string; status: string }) => d.status),
      ["excluded", "ok"],
    );
    assert.equal(m1.data.coverage.splits[0].oiBars, 576);
    assert.match(m1.data.signals.cacheKey, /^[0-9a-f]{64}$/);
    assert.equal(m1.data.signals.modelTrained, true);
    const c1 = JSON.parse(await Deno.readTextFile(`${dir}/run1/config.json`));
    assert.deepEqual(c1.data.excludeFeatures, ["oi"]);
    assert.equal(c1.data.fundingScale, 8);
    assert.equal(c1.data.oi, f.oi);

    // 3. Same data again: the signals come from the cache, no signal model is trained.
    const second = await train([...fixed, "--out", `${dir}/run2`]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /^signals: cache hit [0-9a-f]{12} .* — no model trained/m);
    assert.doesNotMatch(second.stderr, /training walk-forward ML models/);
    const m2 = JSON.parse(await Deno.readTextFile(`${dir}/run2/manifest.json`));
    assert.equal(m2.data.signals.cached, true);
    assert.equal(m2.data.signals.modelTrained, false);
    assert.equal(m2.data.signals.cacheKey, m1.data.signals.cacheKey);

    // 4. The other remedy: the suggested dates inside the covered window keep OI and pass.
    const inside = await train([
      ...files,
      "--funding-scale",
      "8",
      "--split",
      suggested[1],
      ...tiny,
      "--signals",
      "none",
      "--out",
      `${dir}/run3`,
    ]);
    assert.equal(inside.code, 0, inside.stderr);
    assert.match(inside.stderr, /^split: by date: train from 2024-01-13T00:00Z/m);
    const m3 = JSON.parse(await Deno.readTextFile(`${dir}/run3/manifest.json`));
    assert.equal(m3.data.coverage.splits[0].oiShare, 1);
    assert.deepEqual(m3.data.excludedFeatures, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
