/**
 * `data:inspect` (issue 15 item 6, issue 19 point 8): noise (timestamp jitter, float
 * rounding, weekends/holidays of equity data) is counted in notes, apart from real issues;
 * header-only and binary files fail with a short message; flags are checked; `--json` is
 * one line, `--pretty` indented JSON, the default human text.
 * Cannot catch: layouts or calendars not covered here (see data_layouts_test.ts).
 */
import assert from "node:assert/strict";
import { inspectPath } from "@lib/data/mod.ts";
import { usEquitySessions } from "@lib/util/us_equity_calendar.ts";

const CLI = new URL("../cli/data_inspect.ts", import.meta.url).pathname;
const H = 3_600_000;

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "inspect_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: o.code,
    out: new TextDecoder().decode(o.stdout),
    err: new TextDecoder().decode(o.stderr),
  };
}

function fundingText(jitter: (k: number) => number, count = 300): string {
  const lines = ["timestamp_ms,funding_rate"];
  for (let k = 0; k < count; k++) {
    lines.push(`${Date.UTC(2024, 0, 1) + k * 8 * H + jitter(k)},0.0001`);
  }
  return lines.join("\n") + "\n";
}

Deno.test("jitter: ms-level stamps are ONE counted note; seconds off the grid stay issues", async () => {
  await withTemp(async (dir) => {
    const p = `${dir}/funding.csv`;
    await Deno.writeTextFile(p, fundingText((k) => (k % 3) - 1 + (k % 5 === 0 ? 2 : 0)));
    const r = await inspectPath(p);
    assert.equal(r.format, "funding");
    assert.equal(r.interval, "8h");
    assert.equal(r.misaligned, 0);
    assert.deepEqual(r.issues, []);
    assert.equal(r.notes.length, 1);
    assert.equal(r.notes[0].kind, "timestamp_jitter");
    const moved = 300 - Array.from({ length: 300 }, (_, k) => (k % 3) - 1 + (k % 5 === 0 ? 2 : 0))
      .filter((d) => d === 0).length;
    assert.equal(r.notes[0].count, moved);
    // The old behaviour (no tolerance) reports them as misaligned rows.
    assert.ok((await inspectPath(p, { jitterMs: 0 })).misaligned > 100);
    // 5 s off the grid is beyond the tolerance: a real issue with file and row.
    await Deno.writeTextFile(p, fundingText((k) => (k === 100 ? 5000 : 0)));
    const bad = await inspectPath(p);
    assert.equal(bad.misaligned, 2); // the spacing into and out of row 101
    assert.equal(bad.issues[0].kind, "misaligned");
    assert.equal(bad.issues[0].row, 101);
  });
});

function dailyCsv(dates: string[], tweak?: (i: number, row: number[]) => void): string {
  const lines = ["date,open,high,low,close,volume"];
  dates.forEach((d, i) => {
    const row = [100 + i, 101 + i, 99 + i, 100.5 + i, 1e6];
    tweak?.(i, row);
    lines.push(`${d},${row.join(",")}`);
  });
  return lines.join("\n") + "\n";
}

Deno.test("US equity daily bars: weekends and holidays are not gaps; a missing session is", async () => {
  await withTemp(async (dir) => {
    const sessions = usEquitySessions("2024-01-02", "2024-03-28").map((s) => s.date);
    assert.ok(!sessions.includes("2024-01-15") && !sessions.includes("2024-02-19"));
    const missing = "2024-02-07";
    const p = `${dir}/SPY.csv`;
    await Deno.writeTextFile(
      p,
      dailyCsv(sessions.filter((d) => d !== missing), (i, row) => {
        if (i === 10) row[1] = row[3] - 1e-14 * row[3]; // high below close by float rounding
      }),
    );
    const r = await inspectPath(p);
    assert.equal(r.calendar, "us_equity");
    assert.equal(r.gaps.count, 1);
    assert.equal(r.gaps.missingBars, 1);
    assert.equal(r.gaps.where[0].after.slice(0, 10), "2024-02-06");
    assert.equal(r.gaps.where[0].before.slice(0, 10), "2024-02-08");
    assert.equal(r.ohlcInconsistent, 0);
    assert.deepEqual(r.issues, []);
    assert.equal(r.notes.find((n) => n.kind === "ohlc_rounding")?.count, 1);
    // The same file under a 24/7 calendar: every weekend and holiday is a "gap".
    const naive = await inspectPath(p, { calendar: "24/7", relTolerance: 0 });
    assert.ok(naive.gaps.count >= 12, String(naive.gaps.count));
    assert.equal(naive.ohlcInconsistent, 1);
    // A real inconsistency (high 1 % below close) stays an issue.
    await Deno.writeTextFile(
      p,
      dailyCsv(sessions, (i, row) => {
        if (i === 3) row[1] = row[3] * 0.99;
      }),
    );
    const real = await inspectPath(p);
    assert.equal(real.ohlcInconsistent, 1);
    assert.equal(real.issues[0].kind, "ohlc_inconsistent");
    assert.equal(real.issues[0].row, 4);
  });
});

Deno.test("US equity intraday bars: overnight is not a gap, a missing bar inside a session is", async () => {
  await withTemp(async (dir) => {
    const sessions = usEquitySessions("2024-03-04", "2024-03-08");
    const lines = ["timestamp,open,high,low,close,volume"];
    let k = 0;
    for (const s of sessions) {
      for (let t = s.openMs; t < s.closeMs; t += 30 * 60_000) {
        if (k++ === 20) continue; // one missing 30-minute bar
        lines.push(`${new Date(t).toISOString()},10,11,9,10.5,100`);
      }
    }
    const p = `${dir}/intraday.csv`;
    await Deno.writeTextFile(p, lines.join("\n") + "\n");
    const r = await inspectPath(p);
    assert.equal(r.calendar, "us_equity");
    assert.equal(r.interval, "30m");
    assert.equal(r.gaps.count, 1);
    assert.equal(r.gaps.missingBars, 1);
    assert.equal(r.misaligned, 0);
  });
});

Deno.test("CLI: header-only and binary files fail with a short message, exit 2, no raw bytes", async () => {
  await withTemp(async (dir) => {
    const h = `${dir}/empty.csv`;
    await Deno.writeTextFile(h, "timestamp_ms,funding_rate\n");
    const r1 = await cli(h);
    assert.equal(r1.code, 2);
    assert.match(r1.err, /^error: the file has a header but no data rows \(file .*empty\.csv\)/);
    const b = `${dir}/data.csv`;
    const bytes = new Uint8Array(4096);
    bytes.set([0x50, 0x41, 0x52, 0x31]);
    for (let i = 4; i < bytes.length; i++) bytes[i] = (i * 37) % 256;
    await Deno.writeFile(b, bytes);
    const r2 = await cli(b);
    assert.equal(r2.code, 2);
    assert.match(
      r2.err,
      /^error: not a text CSV file: binary content \(it looks like a Parquet file/,
    );
    assert.ok(r2.err.length < 300, r2.err);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(r2.err, /[\u0000-\u0008\u000e-\u001f\ufffd]/);
  });
});

Deno.test("CLI: wrong flags → one `error: --flag …` line, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["synthetic", "--max-listed", "-1"], /^error: --max-listed must be ≥ 0 \(got "-1"\)/],
    [["synthetic", "--bogus"], /^error: unknown flag --bogus/],
    [
      ["synthetic", "--calendar", "mars"],
      /^error: --calendar must be one of auto, 24\/7, us_equity \(got "mars"\)/,
    ],
    [["synthetic", "--columns", "oi=x"], /^error: --columns: unknown key "oi"/],
    [["synthetic", "--oi-columns", "at=later"], /^error: --oi-columns: at must be open or end/],
    [["synthetic", "--jitter-ms", "abc"], /^error: --jitter-ms must be a number \(got "abc"\)/],
    [["synthetic", "--interval", "5x"], /^error: --interval must look like 5m/],
    [["synthetic", "--json", "--pretty"], /^error: --json and --pretty: pick one/],
    [["synthetic", "--funding-scale", "0"], /^error: --funding-scale must be > 0 \(got "0"\)/],
    [["synthetic", "--oi-columns", "time=t"], /^error: --oi-columns needs --oi <file>/],
    [[], /^error: expected a file or folder/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, re, args.join(" ") + " → " + r.err);
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
  }
});

Deno.test("CLI output: human text by default, --json one line, --pretty indented JSON", async () => {
  const human = await cli("synthetic");
  assert.equal(human.code, 0, human.err);
  assert.match(human.out, /^synthetic: synthetic, 0 file\(s\), symbol/);
  assert.match(human.out, /issues: none/);
  const j = await cli("synthetic", "--json");
  assert.equal(j.out.trim().split("\n").length, 1);
  const pj = await cli("synthetic", "--pretty");
  assert.ok(pj.out.trim().split("\n").length > 10);
  assert.deepEqual(JSON.parse(pj.out), JSON.parse(j.out));
  assert.equal(JSON.parse(j.out).rows, 210_240); // the default market: 24 months of 5-minute bars
});

const SHARED = new URL("../../shared/data/", import.meta.url).pathname;
const hasShared = (() => {
  try {
    return Deno.statSync(SHARED).isDirectory;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "optional (../shared/data): real SPY and Binance funding files inspect without noise",
  ignore: !hasShared,
  fn: async () => {
    // SPY daily: 1,831 weekend "gaps" under a 24/7 calendar; none from 2001 on under the
    // US equity calendar (1993–2000 is checked against weekdays only: holidays remain there).
    const spy = await inspectPath(`${SHARED}SPY-daily-1993-2026.csv`, { maxListed: 1000 });
    assert.equal(spy.calendar, "us_equity");
    assert.equal(spy.gaps.where.filter((g) => g.after >= "2001").length, 0);
    assert.equal(spy.ohlcInconsistent, 0);
    assert.deepEqual(spy.issues, []);
    // Binance funding 2020–2023: calc-time jitter is one note, units per settlement.
    const f = await inspectPath(`${SHARED}binance-um-BTCUSDT-funding-8h-2020-2023.csv`);
    assert.equal(f.misaligned, 0);
    assert.deepEqual(f.issues, []);
    assert.equal(f.notes.filter((n) => n.kind === "timestamp_jitter").length, 1);
    assert.equal(f.funding!.looksLike, "per-settlement");
    assert.equal(f.funding!.intervalHours, 8);
  },
});
