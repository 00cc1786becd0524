/**
 * As-of alignment: a value stamped T is visible only from the first bar whose close ≥ T;
 * funding attaches to the bar whose (open, close] holds the settlement; staleness limit;
 * and no look-ahead, proven by perturbing the future.
 */
import assert from "node:assert/strict";
import {
  alignAsOf,
  alignAsOfWithSummary,
  alignFunding,
  alignOpenInterest,
  dataAvailability,
  type MarketData,
  type TimeSeries,
} from "../lib/data/mod.ts";
import { Rng } from "../lib/util/mod.ts";

const M5 = 300_000;
const T0 = Date.UTC(2024, 0, 1);

function bars(n: number, step = M5, start = T0): MarketData {
  const time = Float64Array.from({ length: n }, (_, i) => start + i * step);
  const ones = () => new Float64Array(n).fill(100);
  return {
    symbol: "T",
    interval: `${step / 60_000}m`,
    intervalMs: step,
    time,
    open: ones(),
    high: ones(),
    low: ones(),
    close: ones(),
    volume: ones(),
  };
}

/** Random OI stamps: irregular, sometimes on a bar close, sometimes between. */
function randomSeries(rng: Rng, n: number, start: number): TimeSeries {
  const time = new Float64Array(n);
  const value = new Float64Array(n);
  let t = start;
  for (let i = 0; i < n; i++) {
    t += rng.next() < 0.3 ? M5 : Math.floor(rng.uniform(1, 3 * M5));
    time[i] = t;
    value[i] = 1000 + i;
  }
  return { time, value };
}

Deno.test("OI: stamp exactly at a bar close is visible on that bar, not the one before", () => {
  const md = bars(4);
  const s: TimeSeries = {
    time: Float64Array.of(T0 + M5, T0 + 2 * M5 + 1),
    value: Float64Array.of(10, 20),
  };
  const oi = alignOpenInterest(md.time, M5, s);
  // bar 0 closes at T0+5m: sees 10; bar 1 closes at T0+10m: the 20 is stamped 1 ms later.
  assert.deepEqual(Array.from(oi), [10, 10, 20, 20]);
  // A delay shifts visibility: with 1 bar of delay, bar 0 sees nothing yet.
  const d = alignOpenInterest(md.time, M5, s, { oiDelayMs: M5 });
  assert.ok(Number.isNaN(d[0]));
  assert.deepEqual(Array.from(d.subarray(1)), [10, 10, 20]);
});

Deno.test("OI: equals a brute-force as-of join; perturbing the future never changes the past", () => {
  const rng = new Rng(11);
  const md = bars(2000);
  const s = randomSeries(rng, 1500, T0 - 2 * M5);
  const maxStale = 4 * M5;
  const oi = alignOpenInterest(md.time, M5, s, { oiMaxStalenessMs: maxStale });
  for (let i = 0; i < md.time.length; i++) {
    const close = md.time[i] + M5;
    let last = -1;
    for (let k = 0; k < s.time.length; k++) if (s.time[k] <= close) last = k;
    const expect = last >= 0 && close - s.time[last] <= maxStale ? s.value[last] : NaN;
    assert.ok(Object.is(oi[i], expect), `bar ${i}: ${oi[i]} vs ${expect}`);
  }
  for (const cutBar of [0, 17, 999, 1998]) {
    const cutClose = md.time[cutBar] + M5;
    const p = { time: s.time, value: s.value.slice() };
    for (let k = 0; k < p.time.length; k++) if (p.time[k] > cutClose) p.value[k] = -rng.next();
    const oi2 = alignOpenInterest(md.time, M5, p, { oiMaxStalenessMs: maxStale });
    for (let i = 0; i <= cutBar; i++) assert.ok(Object.is(oi[i], oi2[i]), `bar ${i} changed`);
    assert.ok(
      oi2.subarray(cutBar + 1).some((v, j) => !Object.is(v, oi[cutBar + 1 + j])) || cutBar > 1990,
    );
  }
});

Deno.test("OI: forward fill stops after the staleness limit; NaN values are skipped", () => {
  const md = bars(30);
  const s: TimeSeries = {
    time: Float64Array.of(T0 + M5, T0 + 2 * M5, T0 + 3 * M5),
    value: Float64Array.of(1, 2, NaN),
  };
  const oi = alignOpenInterest(md.time, M5, s, { oiMaxStalenessMs: 3 * M5 });
  assert.deepEqual(Array.from(oi.subarray(0, 5)), [1, 2, 2, 2, 2]);
  assert.ok(Number.isNaN(oi[5]), "older than 15 minutes → NaN");
  // Default staleness: 3 × max(bar interval, OI spacing) = 15 min here.
  const dflt = alignOpenInterest(md.time, M5, s);
  assert.equal(dflt[4], 2);
  assert.ok(Number.isNaN(dflt[5]));
});

Deno.test("funding: attached to the bar whose (open, close] holds the settlement", () => {
  const md = bars(288 * 2);
  const h8 = 8 * 3_600_000;
  const s: TimeSeries = {
    time: Float64Array.of(T0, T0 + h8 + 4, T0 + 2 * h8, T0 + 3 * h8 + 120_000),
    value: Float64Array.of(0.1, 0.2, 0.3, 0.4),
  };
  const r = alignFunding(md.time, M5, s);
  // 00:00 of the first day is the OPEN of bar 0, i.e. the close of a bar we do not have.
  assert.equal(r.dropped, 1);
  assert.equal(r.attached, 3);
  const idx = (t: number) => (t - T0) / M5;
  assert.equal(r.rate[idx(T0 + h8) - 1], 0.2, "08:00:00.004 rounds to 08:00 → bar 07:55");
  assert.equal(r.rate[idx(T0 + 2 * h8) - 1], 0.3);
  assert.equal(r.rate[idx(T0 + 3 * h8)], 0.4, "00:02 → bar 00:00–00:05");
  let finite = 0;
  for (const v of r.rate) if (!Number.isNaN(v)) finite++;
  assert.equal(finite, 3);
});

Deno.test("funding: settlement inside a data gap is dropped; long bars sum settlements", () => {
  const md = bars(10);
  // Remove bars 3..5 (a gap from 00:15 to 00:30).
  const keep = [0, 1, 2, 6, 7, 8, 9];
  const time = Float64Array.from(keep, (i) => md.time[i]);
  const r = alignFunding(time, M5, {
    time: Float64Array.of(T0 + 4 * M5, T0 + 7 * M5),
    value: Float64Array.of(1, 2),
  });
  assert.equal(r.dropped, 1);
  assert.equal(r.rate[keep.indexOf(6)], 2);
  const daily = bars(3, 86_400_000);
  const h8 = 8 * 3_600_000;
  const f: TimeSeries = {
    time: Float64Array.from({ length: 9 }, (_, k) => T0 + (k + 1) * h8),
    value: Float64Array.from({ length: 9 }, (_, k) => k + 1),
  };
  const d = alignFunding(daily.time, 86_400_000, f);
  assert.deepEqual(Array.from(d.rate), [1 + 2 + 3, 4 + 5 + 6, 7 + 8 + 9]);
});

Deno.test("funding: perturbing future settlements never changes earlier bars", () => {
  const rng = new Rng(5);
  const md = bars(288 * 5);
  const n = 15;
  const f: TimeSeries = {
    time: Float64Array.from({ length: n }, (_, k) => T0 + (k + 1) * 8 * 3_600_000),
    value: Float64Array.from({ length: n }, () => rng.uniform(-1e-3, 1e-3)),
  };
  const a = alignFunding(md.time, M5, f).rate;
  const cut = 700;
  const g = { time: f.time, value: f.value.slice() };
  for (let k = 0; k < n; k++) if (g.time[k] > md.time[cut] + M5) g.value[k] = 9;
  const b = alignFunding(md.time, M5, g).rate;
  for (let i = 0; i <= cut; i++) assert.ok(Object.is(a[i], b[i]), `bar ${i}`);
});

Deno.test("alignAsOf: adds only the given sources; data without OI/funding still works", () => {
  const md = bars(50);
  const plain = alignAsOf(md, {});
  assert.equal(plain.openInterest, undefined);
  assert.equal(plain.fundingRate, undefined);
  const { market, summary } = alignAsOfWithSummary(md, {
    openInterest: { time: Float64Array.of(T0 + 10 * M5), value: Float64Array.of(7) },
  });
  assert.equal(market.fundingRate, undefined);
  assert.equal(summary.oiBars, 4); // bars 9..12 (close ≥ stamp, within 15 min)
  assert.deepEqual(dataAvailability(market), {
    openInterest: true,
    openInterestCoverage: 4 / 50,
    funding: false,
    fundingSettlements: 0,
  });
  assert.equal(dataAvailability(md).openInterest, false);
  assert.ok(Number.isNaN(market.openInterest![8]));
  assert.equal(market.openInterest![9], 7);
  assert.throws(
    () =>
      alignAsOf(md, {
        openInterest: { time: Float64Array.of(2, 1), value: Float64Array.of(1, 1) },
      }),
    /not sorted/,
  );
});
