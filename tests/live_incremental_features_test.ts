import assert from "node:assert/strict";
import { computeFeatures, FEATURE_NAMES } from "../lib/features/mod.ts";
import { generateSyntheticMarket, type MarketData } from "../lib/data/mod.ts";
import {
  type FeatureBar,
  IncrementalFeatures,
  observationHash,
} from "../lib/live/incremental_features.ts";
import { DataError } from "../lib/util/errors.ts";

function bar(md: MarketData, i: number): FeatureBar {
  return {
    time: md.time[i],
    open: md.open[i],
    high: md.high[i],
    low: md.low[i],
    close: md.close[i],
    volume: md.volume[i],
    openInterest: md.openInterest?.[i],
    fundingRate: md.fundingRate?.[i],
  };
}

/** Stream `md` bar by bar and require every value to equal the batch matrix exactly. */
function assertStreamEqualsBatch(
  md: MarketData,
  nanPolicy: "error" | "invalidate" = "error",
): number {
  const fm = computeFeatures(md, { nanPolicy });
  const inc = new IncrementalFeatures({ nanPolicy });
  assert.deepEqual([...inc.names], fm.names);
  let validRows = 0;
  for (let i = 0; i < fm.rows; i++) {
    const { row, valid, index } = inc.push(bar(md, i));
    assert.equal(index, i);
    assert.equal(valid, fm.valid[i] === 1, `valid flag at bar ${i}`);
    if (valid) validRows++;
    for (let j = 0; j < fm.cols; j++) {
      const b = fm.data[i * fm.cols + j];
      // Exact: Object.is also equates NaN with NaN and tells 0 from −0.
      if (!Object.is(row[j], b)) {
        assert.fail(`bar ${i} ${FEATURE_NAMES[j]}: incremental ${row[j]} ≠ batch ${b}`);
      }
    }
  }
  return validRows;
}

Deno.test("incremental features equal the batch features exactly on 6,000 synthetic bars (OI + funding)", () => {
  const md = generateSyntheticMarket({ seed: 7, bars: 6000 });
  assert.ok(md.openInterest && md.fundingRate);
  const valid = assertStreamEqualsBatch(md);
  assert.ok(valid > 5900);
});

Deno.test("incremental features equal batch with bad bars invalidated (indicators restart) and OI gaps", () => {
  const src = generateSyntheticMarket({ seed: 11, bars: 3000 });
  const md: MarketData = {
    ...src,
    open: src.open.slice(),
    close: src.close.slice(),
    volume: src.volume.slice(),
    openInterest: src.openInterest!.slice(),
  };
  md.close[500] = NaN;
  md.open[1200] = 0;
  md.volume[1201] = -1;
  md.close[2000] = Infinity;
  for (let i = 700; i < 760; i++) md.openInterest![i] = NaN; // OI unknown for an hour
  assertStreamEqualsBatch(md, "invalidate");
});

Deno.test("incremental features equal batch without OI or funding (neutral values)", () => {
  const src = generateSyntheticMarket({ seed: 3, bars: 2000 });
  const md: MarketData = { ...src, openInterest: undefined, fundingRate: undefined };
  assertStreamEqualsBatch(md);
});

Deno.test("incremental features: a bad bar under the default policy is a DataError naming bar and column", () => {
  const md = generateSyntheticMarket({ seed: 1, bars: 50 });
  const inc = new IncrementalFeatures({ symbol: "X" });
  for (let i = 0; i < 10; i++) inc.push(bar(md, i));
  assert.throws(
    () => inc.push({ ...bar(md, 10), high: -1 }),
    (e) => e instanceof DataError && /bar 10/.test(e.message) && /high/.test(e.message),
  );
});

Deno.test("observationHash: equal vectors hash equal, a one-ulp change does not", async () => {
  const a = new Float64Array([1, 2, 3]);
  const b = new Float64Array([1, 2, 3]);
  const c = new Float64Array([1, 2, 3 + 4.440892098500626e-16]);
  assert.equal(await observationHash(a), await observationHash(b));
  assert.notEqual(await observationHash(a), await observationHash(c));
  assert.match(await observationHash(a.subarray(1)), /^[0-9a-f]{64}$/);
});
