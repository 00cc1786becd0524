import assert from "node:assert/strict";
import {
  ConfigError,
  DataError,
  intervalToMs,
  msToInterval,
  periodsPerYear,
  Rng,
  sha256Hex,
  writeFileAtomic,
} from "../lib/util/mod.ts";

Deno.test("Rng: same seed gives the same stream, different seeds differ", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xa = Array.from({ length: 100 }, () => a.next());
  const xb = Array.from({ length: 100 }, () => b.next());
  const xc = Array.from({ length: 100 }, () => c.next());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
  for (const x of xa) assert.ok(x >= 0 && x < 1);
});

Deno.test("Rng: known first outputs are stable across releases", () => {
  // Pinned so that a change of the generator (which would silently change every seeded
  // result in the project) fails loudly.
  const r = new Rng(1);
  assert.deepEqual([r.nextUint32(), r.nextUint32(), r.nextUint32()], [
    2442144158,
    3238099751,
    3819917871,
  ]);
  assert.equal(new Rng(42).next(), 0.6606157208001621);
});

Deno.test("Rng: uniform moments, int range without bias, normal moments", () => {
  const r = new Rng(7);
  const n = 200_000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    s += x;
    s2 += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.01, `normal mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.02, `normal var ${s2 / n}`);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `int counts ${counts}`);
  let t2 = 0;
  for (let i = 0; i < n; i++) {
    const x = r.studentT(4);
    t2 += x * x;
  }
  assert.ok(Math.abs(t2 / n - 1) < 0.1, `student-t scaled variance ${t2 / n}`);
});

Deno.test("Rng: getState/setState resumes the exact stream, fork is independent", () => {
  const r = new Rng(9);
  r.normal();
  const st = r.getState();
  const after = [r.next(), r.normal(), r.int(10)];
  r.setState(st);
  assert.deepEqual([r.next(), r.normal(), r.int(10)], after);
  const f = r.fork();
  assert.notEqual(f.next(), r.next());
  assert.throws(() => new Rng(NaN), RangeError);
  assert.throws(() => r.int(0), RangeError);
});

Deno.test("Rng: categorical follows the weights", () => {
  const r = new Rng(3);
  const w = [0.1, 0.0, 0.6, 0.3];
  const c = [0, 0, 0, 0];
  for (let i = 0; i < 50_000; i++) c[r.categorical(w)]++;
  assert.equal(c[1], 0);
  assert.ok(Math.abs(c[2] / 50_000 - 0.6) < 0.01);
});

Deno.test("calendar: periods per year never default to 252 silently", () => {
  assert.equal(intervalToMs("5m"), 300_000);
  assert.equal(intervalToMs("8h"), 28_800_000);
  assert.equal(msToInterval(300_000), "5m");
  assert.equal(msToInterval(86_400_000), "1d");
  assert.equal(periodsPerYear("5m", "crypto"), 105_120);
  assert.equal(periodsPerYear("5m", "us_equity"), 252 * 78);
  assert.equal(periodsPerYear("1d", "us_equity"), 252);
  assert.equal(periodsPerYear("1d", "crypto"), 365);
  assert.throws(() => intervalToMs("5 minutes"), ConfigError);
});

Deno.test("errors name what and where", () => {
  const e = new DataError("close is NaN", { file: "a.csv", row: 12, column: "close" }, "fix it");
  assert.match(e.message, /close is NaN \(file a\.csv, row 12, column close\)\. fix it/);
  assert.equal(e.name, "DataError");
});

Deno.test("writeFileAtomic replaces the file and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  const p = `${dir}/x.json`;
  await writeFileAtomic(p, "old");
  await writeFileAtomic(p, "new");
  assert.equal(await Deno.readTextFile(p), "new");
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assert.deepEqual(names, ["x.json"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sha256Hex matches the FIPS 180-2 'abc' vector", async () => {
  assert.equal(
    await sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
