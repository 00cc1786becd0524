/**
 * The RunConfig's data and trading sections (issue 19): `--split` syntax, walk-forward folds
 * as a real configuration key (what a sweep's `fold` axis now sets), named validation errors,
 * and the flag → RunConfig mapping used by `deno task train` and its `--config` files.
 *
 * Cannot catch: loading, coverage and caching (tests/train_byod_e2e_test.ts does those).
 */
import assert from "node:assert/strict";
import { parseSplitSpec, resolveRunConfig, setupOptionsFor } from "../lib/experiment/config.ts";
import { resolveSplitRanges } from "../lib/experiment/setup.ts";
import { dataFlagOverrides, joinDataFlagValues } from "../lib/experiment/data_flags.ts";
import { walkForwardFolds } from "../lib/data/split.ts";
import { ConfigError } from "../lib/util/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function throwsConfig(
  fn: () => unknown,
  parameter: string | undefined,
  message: RegExp,
): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
  assert.equal(err.where.parameter, parameter, err.message);
  assert.match(err.message, message);
}

Deno.test("--split: fractions and dates, defined precisely; bad values named", () => {
  assert.deepEqual(parseSplitSpec("0.6,0.15,0.25"), {
    by: "fraction",
    train: 0.6,
    validation: 0.15,
    test: 0.25,
  });
  assert.deepEqual(parseSplitSpec("0.6,0.2"), {
    by: "fraction",
    train: 0.6,
    validation: 0.2,
    test: 0.2,
  });
  assert.deepEqual(parseSplitSpec("2024-01-01,2024-07-01"), {
    by: "date",
    trainStart: null,
    validationStart: "2024-01-01",
    testStart: "2024-07-01",
    testEnd: null,
  });
  assert.deepEqual(parseSplitSpec("2023-07-01,2024-01-01T00:00Z,2024-03-01,2024-06-01"), {
    by: "date",
    trainStart: "2023-07-01",
    validationStart: "2024-01-01T00:00Z",
    testStart: "2024-03-01",
    testEnd: "2024-06-01",
  });
  throwsConfig(() => parseSplitSpec("0.7,0.2,0.2"), "split", /^--split fractions sum to 1\.1 > 1/);
  throwsConfig(() => parseSplitSpec("0.7,2024-01-01"), "split", /mixes fractions and dates/);
  throwsConfig(() => parseSplitSpec("2024-07-01,2024-01-01"), "split", /dates must increase/);
  throwsConfig(() => parseSplitSpec("2024-13-45,2025-01-01"), "split", /not a date/);
  throwsConfig(() => parseSplitSpec("0.7"), "split", /needs 2 or 3 fractions/);
  // Dates split on bar OPEN times (UTC), whatever the offset is written as.
  const hour = 3_600_000;
  const t0 = Date.UTC(2024, 0, 1);
  const time = Float64Array.from({ length: 48 }, (_, i) => t0 + i * hour);
  const { split } = resolveSplitRanges(time, {
    split: parseSplitSpec("2024-01-01T12:00,2024-01-02T02:00+02:00"),
  });
  assert.deepEqual(split, {
    train: { start: 0, end: 12 },
    validation: { start: 12, end: 24 },
    test: { start: 24, end: 48 },
  });
});

Deno.test("fold: a walk-forward fold's train / validation / test, with purge and embargo", () => {
  const n = 10_000;
  const time = Float64Array.from({ length: n }, (_, i) => i * 300_000);
  const { split, description } = resolveSplitRanges(time, {
    fold: { index: 2, folds: 5 },
    purge: 10,
    embargo: 5,
  });
  const wf = walkForwardFolds(n, { folds: 5, purge: 10, embargo: 5, minTrain: 5_000 })[2];
  assert.deepEqual(split.test, wf.test);
  assert.deepEqual(split.test, { start: 7_009, end: 8_006 });
  // Fold training window [0, 6994) split train : validation as the default split (60 : 15),
  // validation last, gap 15 before it.
  const valBars = Math.floor(6_994 * 0.15 / 0.75);
  assert.deepEqual(split.train, { start: 0, end: 6_994 - valBars });
  assert.deepEqual(split.validation, { start: 6_994 - valBars + 15, end: 6_994 });
  assert.match(description, /walk-forward fold 2 of 0…4/);
  // Every fold's test window is later than its training and validation; folds do not overlap.
  let prevEnd = -1;
  for (let k = 0; k < 5; k++) {
    const s = resolveSplitRanges(time, { fold: { index: k, folds: 5 } }).split;
    assert.ok(s.train.end <= s.validation.start && s.validation.end <= s.test.start);
    assert.ok(s.test.start >= prevEnd);
    prevEnd = s.test.end;
  }
  assert.equal(prevEnd, n);
});

Deno.test("RunConfig data/trading sections: defaults, fold → setup options, named errors", () => {
  const c = resolveRunConfig({ data: { fold: 1, folds: 3, excludeFeatures: ["oi"] } });
  assert.equal(c.data.split.by, "fraction");
  assert.equal(c.trading.feeRate, 0.0004);
  const so = setupOptionsFor(c);
  assert.deepEqual(so.fold, { index: 1, folds: 3 });
  assert.deepEqual(so.excludeFeatures, ["oi"]);
  assert.equal(so.trading!.initialBalance, 2000);
  throwsConfig(() => resolveRunConfig({ data: { fold: 3, folds: 3 } }), "data.fold", /0 … 2/);
  throwsConfig(
    () => resolveRunConfig({ data: { fold: 0, split: parseSplitSpec("2024-01-01,2024-02-01") } }),
    "data.fold",
    /needs a fraction split/,
  );
  throwsConfig(
    () => resolveRunConfig({ data: { excludeFeatures: ["price"] } }),
    "data.excludeFeatures",
    /unknown family "price"/,
  );
  throwsConfig(() => resolveRunConfig({ data: { fundingScale: 0 } }), "data.fundingScale", />/);
  throwsConfig(
    () => resolveRunConfig({ data: { maxMissingShare: 1.5 } }),
    "data.maxMissingShare",
    /\[0, 1\]/,
  );
  throwsConfig(
    () => resolveRunConfig({ data: { oiColumns: "time=t" } }),
    "data.oiColumns",
    /needs data\.oi/,
  );
  throwsConfig(
    () => resolveRunConfig({ trading: { feeRate: 1.5 } }),
    "trading.feeRate",
    /\[0, 1\)/,
  );
  throwsConfig(
    () => resolveRunConfig({ trading: { leverage: 500 } }),
    "trading.maintenanceMarginRate",
    /initial margin rate/,
  );
});

Deno.test("data flags → RunConfig paths; bad values name the flag", () => {
  const d = dataFlagOverrides(
    new Map<string, unknown>([
      ["fee", "0.001"],
      ["balance", "5000"],
      ["features", "-oi,-funding"],
      ["split", "0.6,0.2"],
      ["fold", 2], // from a --config file / sweep cell: a JSON number
      ["symbol", "ETHUSDT"],
      ["signals-cache", "off"],
    ]),
  );
  assert.deepEqual(d.overrides.trading, { feeRate: 0.001, initialBalance: 5000 });
  assert.deepEqual(d.overrides.data!.excludeFeatures, ["funding", "oi"]);
  assert.equal(d.overrides.data!.fold, 2);
  assert.equal(d.overrides.data!.symbol, "ETHUSDT");
  assert.equal(d.signalsCache, null);
  throwsConfig(() => dataFlagOverrides({ fee: "-0.1" }), undefined, /^--fee must be ≥ 0/);
  throwsConfig(() => dataFlagOverrides({ fold: 1.5 }), undefined, /^--fold must be an integer/);
  throwsConfig(() => dataFlagOverrides({ features: "-price" }), "--features", /cannot parse/);
  assert.deepEqual(joinDataFlagValues(["--features", "-oi", "--seed", "1"]), [
    "--features=-oi",
    "--seed",
    "1",
  ]);
});

Deno.test("train --config {fold, folds} (as a sweep cell passes it) trains on that fold", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fold_cfg_" });
  try {
    await Deno.writeTextFile(`${dir}/cell.json`, JSON.stringify({ fold: 1, folds: 3, seed: 0 }));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}cli/train.ts`,
        "--config",
        `${dir}/cell.json`,
        "--bars",
        "8000",
        "--signals",
        "none",
        "--timesteps",
        "256",
        "--n-steps",
        "128",
        "--episode-length",
        "256",
        "--eval-freq",
        "0",
        "--checkpoint-freq",
        "0",
        "--backend",
        "cpu",
        "--no-progress",
        "--out",
        `${dir}/run`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    assert.match(err, /^split: walk-forward fold 1 of 0…2/m);
    const m = JSON.parse(await Deno.readTextFile(`${dir}/run/manifest.json`));
    const time = Float64Array.from({ length: 8000 }, (_, i) => i);
    const want = resolveSplitRanges(time, { fold: { index: 1, folds: 3 } }).split;
    assert.deepEqual(m.data.split.ranges, want);
    assert.deepEqual(m.data.split.fold, { index: 1, folds: 3 });
    const c = JSON.parse(await Deno.readTextFile(`${dir}/run/config.json`));
    assert.equal(c.data.fold, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
