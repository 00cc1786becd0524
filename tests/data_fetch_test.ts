/**
 * Archive downloader against a local HTTP server started by the test (127.0.0.1): archive
 * paths, SHA-256 verification, retry of a failing-then-succeeding file, CHECKSUM mismatch,
 * 404, skip/resume of verified files, and the data:fetch CLI end to end (Parquet cache).
 */
import assert from "node:assert/strict";
import {
  archiveFiles,
  downloadArchive,
  parseChecksum,
  readMarketDataParquet,
  verifyChecksum,
} from "../lib/data/mod.ts";
import { FetchError } from "../lib/util/mod.ts";
import {
  checksumText,
  dayOf,
  fundingCsv,
  klineCsv,
  metricsCsv,
  smallMarket,
  zipCsv,
} from "./data_fixtures.ts";

interface Served {
  bytes: Uint8Array;
  /** Respond with this status for the first `failFirst` requests. */
  failFirst?: number;
  failStatus?: number;
}

/** A tiny archive server; counts requests per path. */
function startServer(files: Map<string, Served>) {
  const hits = new Map<string, number>();
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (req) => {
      const path = new URL(req.url).pathname.replace(/^\//, "");
      const n = (hits.get(path) ?? 0) + 1;
      hits.set(path, n);
      const f = files.get(path);
      if (!f) return new Response("not found", { status: 404 });
      if (f.failFirst && n <= f.failFirst) {
        return new Response("busy", { status: f.failStatus ?? 503 });
      }
      return new Response(f.bytes.slice());
    },
  );
  const addr = server.addr as Deno.NetAddr;
  return {
    baseUrl: `http://127.0.0.1:${addr.port}`,
    hits,
    async close() {
      ac.abort();
      await server.finished;
    },
  };
}

const md = smallMarket(288 * 3, 11);
const enc = new TextEncoder();

/** Serve klines (monthly, split into two "months" by bar index), metrics (daily), funding. */
async function archive(): Promise<Map<string, Served>> {
  const files = new Map<string, Served>();
  const add = async (path: string, member: string, text: string) => {
    const zip = zipCsv(member, text);
    const name = path.split("/").pop()!;
    files.set(path, { bytes: zip });
    files.set(`${path}.CHECKSUM`, { bytes: enc.encode(await checksumText(zip, name)) });
  };
  const um = "data/futures/um";
  await add(
    `${um}/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2024-01.zip`,
    "BTCUSDT-5m-2024-01.csv",
    klineCsv(md),
  );
  for (let d = 0; d < 31; d++) {
    const day = `2024-01-${String(d + 1).padStart(2, "0")}`;
    const from = d * 288;
    const text = from < md.time.length
      ? metricsCsv(md, from, Math.min(md.time.length, from + 288))
      : metricsCsv(md, 0, 0);
    await add(
      `${um}/daily/metrics/BTCUSDT/BTCUSDT-metrics-${day}.zip`,
      `BTCUSDT-metrics-${day}.csv`,
      text,
    );
  }
  await add(
    `${um}/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01.zip`,
    "BTCUSDT-fundingRate-2024-01.csv",
    fundingCsv(md),
  );
  return files;
}

Deno.test("archiveFiles: Binance archive paths for monthly, daily, metrics and funding", () => {
  const m = archiveFiles({
    symbol: "BTCUSDT",
    interval: "5m",
    from: "2023-12",
    to: "2024-02",
    with: ["oi", "funding"],
  });
  const kl = m.filter((f) => f.dataset === "klines").map((f) => f.path);
  assert.deepEqual(kl, [
    "data/futures/um/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2023-12.zip",
    "data/futures/um/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2024-01.zip",
    "data/futures/um/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2024-02.zip",
  ]);
  const met = m.filter((f) => f.dataset === "metrics");
  assert.equal(met.length, 31 + 31 + 29);
  assert.equal(met[0].path, "data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2023-12-01.zip");
  assert.equal(
    m.filter((f) => f.dataset === "fundingRate")[2].path,
    "data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-02.zip",
  );
  const d = archiveFiles({
    symbol: "ETHUSDT",
    interval: "1h",
    from: "2024-02-28",
    to: "2024-03-01",
  });
  assert.deepEqual(d.map((f) => f.date), ["2024-02-28", "2024-02-29", "2024-03-01"]);
  assert.equal(d[0].path, "data/futures/um/daily/klines/ETHUSDT/1h/ETHUSDT-1h-2024-02-28.zip");
  assert.throws(
    () => archiveFiles({ symbol: "btc", interval: "5m", from: "2024-01", to: "2024-01" }),
    /symbol/,
  );
  assert.throws(
    () => archiveFiles({ symbol: "BTCUSDT", interval: "5m", from: "2024-01", to: "2024-01-05" }),
    /YYYY-MM/,
  );
  assert.throws(
    () => archiveFiles({ symbol: "BTCUSDT", interval: "5m", from: "2024-03", to: "2024-01" }),
    /empty/,
  );
});

Deno.test("download: retries a failing-then-succeeding file, verifies, then skips on re-run", async () => {
  const files = await archive();
  const klPath = "data/futures/um/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2024-01.zip";
  files.get(klPath)!.failFirst = 2; // two 503s, then OK
  const srv = startServer(files);
  const dir = await Deno.makeTempDir({ prefix: "data_fetch_" });
  try {
    const plan = archiveFiles({
      symbol: "BTCUSDT",
      interval: "5m",
      from: "2024-01",
      to: "2024-01",
      with: ["funding"],
    });
    const r1 = await downloadArchive(plan, {
      baseUrl: srv.baseUrl,
      dir,
      backoffMs: 1,
      progress: false,
    });
    assert.deepEqual(r1.map((r) => r.status), ["downloaded", "downloaded"]);
    assert.equal(r1[0].attempts, 3);
    assert.equal(srv.hits.get(klPath), 3);
    const local = `${dir}/${klPath}`;
    assert.deepEqual(await Deno.readFile(local), files.get(klPath)!.bytes);
    await verifyChecksum(local, await Deno.readTextFile(`${local}.CHECKSUM`));
    // Re-run: nothing is requested again.
    const before = new Map(srv.hits);
    const r2 = await downloadArchive(plan, {
      baseUrl: srv.baseUrl,
      dir,
      backoffMs: 1,
      progress: false,
    });
    assert.deepEqual(r2.map((r) => r.status), ["skipped", "skipped"]);
    assert.deepEqual(srv.hits, before);
    // Resume: a corrupted local copy (and a stale .part) is fetched again; the rest is skipped.
    await Deno.writeFile(local, new Uint8Array([1, 2, 3]));
    await Deno.writeFile(`${local}.part`, new Uint8Array([9]));
    const r3 = await downloadArchive(plan, {
      baseUrl: srv.baseUrl,
      dir,
      backoffMs: 1,
      progress: false,
    });
    assert.deepEqual(r3.map((r) => r.status), ["downloaded", "skipped"]);
    assert.deepEqual(await Deno.readFile(local), files.get(klPath)!.bytes);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("download: CHECKSUM mismatch → FetchError, nothing left at the final path", async () => {
  const files = await archive();
  const klPath = "data/futures/um/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2024-01.zip";
  const good = files.get(klPath)!.bytes;
  const bad = good.slice();
  bad[bad.length - 10] ^= 0xff;
  files.set(klPath, { bytes: bad });
  const srv = startServer(files);
  const dir = await Deno.makeTempDir({ prefix: "data_fetch_" });
  try {
    const plan = archiveFiles({
      symbol: "BTCUSDT",
      interval: "5m",
      from: "2024-01",
      to: "2024-01",
    });
    await assert.rejects(
      () =>
        downloadArchive(plan, {
          baseUrl: srv.baseUrl,
          dir,
          attempts: 3,
          backoffMs: 1,
          progress: false,
        }),
      (e: unknown) =>
        e instanceof FetchError && /SHA-256 mismatch/.test(e.message) &&
        e.where.file === `${srv.baseUrl}/${klPath}`,
    );
    assert.equal(srv.hits.get(klPath), 3, "retried up to the attempt limit");
    await assert.rejects(() => Deno.stat(`${dir}/${klPath}`), Deno.errors.NotFound);
    // verifyChecksum on a local file is a clear error too.
    const p = `${dir}/x.zip`;
    await Deno.writeFile(p, bad);
    await assert.rejects(
      () => verifyChecksum(p, new TextDecoder().decode(files.get(`${klPath}.CHECKSUM`)!.bytes)),
      /SHA-256 mismatch/,
    );
    assert.throws(() => parseChecksum("<html>oops</html>", "u"), /malformed \.CHECKSUM/);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("download: 404 fails fast; a persistent 5xx fails after the retries", async () => {
  const files = await archive();
  const srv = startServer(files);
  const dir = await Deno.makeTempDir({ prefix: "data_fetch_" });
  try {
    const missing = archiveFiles({
      symbol: "BTCUSDT",
      interval: "5m",
      from: "2024-02",
      to: "2024-02",
    });
    await assert.rejects(
      () => downloadArchive(missing, { baseUrl: srv.baseUrl, dir, backoffMs: 1, progress: false }),
      (e: unknown) => e instanceof FetchError && /HTTP 404/.test(e.message),
    );
    assert.equal(srv.hits.get(`${missing[0].path}.CHECKSUM`), 1);
    const klPath = "data/futures/um/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2024-01.zip";
    files.get(klPath)!.failFirst = 100;
    const plan = archiveFiles({
      symbol: "BTCUSDT",
      interval: "5m",
      from: "2024-01",
      to: "2024-01",
    });
    await assert.rejects(
      () =>
        downloadArchive(plan, {
          baseUrl: srv.baseUrl,
          dir,
          attempts: 3,
          backoffMs: 1,
          progress: false,
        }),
      /download failed after 3 attempt\(s\): HTTP 503/,
    );
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data:fetch CLI: downloads klines + OI + funding, writes an aligned Parquet cache", async () => {
  const files = await archive();
  const srv = startServer(files);
  const dir = await Deno.makeTempDir({ prefix: "data_fetch_cli_" });
  try {
    // The fixture month has 3 days of bars; the server holds all 31 daily metrics files
    // (days without bars are header-only), as the archive would.
    const out = `${dir}/cache.parquet`;
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../cli/data_fetch.ts", import.meta.url).pathname,
        "--symbol",
        "BTCUSDT",
        "--interval",
        "5m",
        "--from",
        "2024-01",
        "--to",
        "2024-01",
        "--with",
        "oi,funding",
        "--base-url",
        srv.baseUrl,
        "--dir",
        `${dir}/archive`,
        "--out",
        out,
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const res = await cmd.output();
    const stderr = new TextDecoder().decode(res.stderr);
    assert.equal(res.code, 0, stderr);
    assert.match(stderr, /\[#+\] 33\/33 files/, "progress bar on stderr");
    const j = JSON.parse(new TextDecoder().decode(res.stdout).trim());
    assert.equal(j.files, 33);
    assert.equal(j.downloaded, 33);
    assert.equal(j.rows, md.time.length);
    const m = readMarketDataParquet(out);
    assert.equal(m.symbol, "BTCUSDT");
    assert.equal(m.time.length, md.time.length);
    for (let i = 0; i < md.time.length; i++) {
      assert.equal(m.close[i], md.close[i]);
      assert.equal(m.openInterest![i], Number(md.openInterest![i].toFixed(8)));
      assert.ok(Object.is(m.fundingRate![i], md.fundingRate![i]), `funding ${i}`);
    }
    assert.equal(dayOf(m.time[0]), "2024-01-01");
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
