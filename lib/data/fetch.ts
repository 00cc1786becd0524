/**
 * Downloader for Binance's public data archive (USDT-M futures), with SHA-256 verification
 * against each zip's `.CHECKSUM`, retries with exponential backoff, skipping of files
 * already downloaded and verified, and a progress bar on stderr.
 *
 * Archive layout (relative to the base URL, default `https://data.binance.vision`):
 * - `data/futures/um/monthly/klines/{SYMBOL}/{interval}/{SYMBOL}-{interval}-{YYYY-MM}.zip`
 * - `data/futures/um/daily/klines/{SYMBOL}/{interval}/{SYMBOL}-{interval}-{YYYY-MM-DD}.zip`
 * - `data/futures/um/daily/metrics/{SYMBOL}/{SYMBOL}-metrics-{YYYY-MM-DD}.zip` (daily only)
 * - `data/futures/um/monthly/fundingRate/{SYMBOL}/{SYMBOL}-fundingRate-{YYYY-MM}.zip`
 * Each `X.zip` has `X.zip.CHECKSUM` holding `"<sha256 hex>  X.zip"`.
 *
 * Local files mirror the archive paths under `dir`. A zip is written to `X.zip.part`, and
 * renamed to `X.zip` only after its SHA-256 matched, so a file at its final path has been
 * verified once; on a re-run it is re-hashed against the saved `.CHECKSUM` and skipped when it
 * matches (no network needed).
 *
 * @module
 */
import { ConfigError, FetchError, sha256Hex } from "../util/mod.ts";

/** Which archive datasets to fetch. */
export type ArchiveDataset = "klines" | "metrics" | "fundingRate";

/** One file of the archive. */
export interface ArchiveFile {
  dataset: ArchiveDataset;
  /** Path relative to the base URL and to the local folder. */
  path: string;
  /** `"monthly"` or `"daily"`. */
  period: "monthly" | "daily";
  /** The month (`YYYY-MM`) or day (`YYYY-MM-DD`) it covers. */
  date: string;
}

/** Options of {@link archiveFiles}. */
export interface ArchivePlanOptions {
  symbol: string;
  /** Kline interval, e.g. `"5m"`. */
  interval: string;
  /** First month `YYYY-MM` (monthly files) or day `YYYY-MM-DD` (daily kline files). */
  from: string;
  /** Last month or day, inclusive (same granularity as `from`). */
  to: string;
  /** Datasets besides klines: `"oi"` (metrics) and/or `"funding"`. */
  with?: ("oi" | "funding")[];
}

/**
 * The list of archive files for a symbol, interval and date range. Months → monthly kline and
 * funding files; days → daily kline files (and the months covering them for funding).
 * Metrics exist only as daily files: one per day of the range.
 */
export function archiveFiles(options: ArchivePlanOptions): ArchiveFile[] {
  const { symbol, interval } = options;
  if (!/^[A-Z0-9]+$/.test(symbol)) {
    throw new ConfigError(`symbol must be upper-case letters/digits, got "${symbol}"`, {
      parameter: "symbol",
    }, "e.g. BTCUSDT");
  }
  if (!/^\d+[smhdwM]$/.test(interval)) {
    throw new ConfigError(`bad interval "${interval}"`, { parameter: "interval" }, "e.g. 5m, 1h");
  }
  const monthly = /^\d{4}-\d{2}$/.test(options.from);
  const daily = /^\d{4}-\d{2}-\d{2}$/.test(options.from);
  if (
    (!monthly && !daily) ||
    (monthly ? !/^\d{4}-\d{2}$/.test(options.to) : !/^\d{4}-\d{2}-\d{2}$/.test(options.to))
  ) {
    throw new ConfigError(
      `--from/--to must both be YYYY-MM (monthly files) or both YYYY-MM-DD (daily files), got ${options.from} / ${options.to}`,
      { parameter: "from" },
    );
  }
  const start = Date.parse(`${monthly ? `${options.from}-01` : options.from}T00:00:00Z`);
  const endDay = monthly
    ? Date.UTC(+options.to.slice(0, 4), +options.to.slice(5, 7), 0)
    : Date.parse(`${options.to}T00:00:00Z`);
  if (!(Number.isFinite(start) && Number.isFinite(endDay)) || endDay < start) {
    throw new ConfigError(`empty or invalid date range ${options.from} → ${options.to}`, {
      parameter: "to",
    });
  }
  const months: string[] = [];
  const days: string[] = [];
  for (let t = start; t <= endDay; t += 86_400_000) {
    const d = new Date(t).toISOString().slice(0, 10);
    days.push(d);
    if (!months.includes(d.slice(0, 7))) months.push(d.slice(0, 7));
  }
  const um = "data/futures/um";
  const out: ArchiveFile[] = [];
  if (monthly) {
    for (const m of months) {
      out.push({
        dataset: "klines",
        period: "monthly",
        date: m,
        path: `${um}/monthly/klines/${symbol}/${interval}/${symbol}-${interval}-${m}.zip`,
      });
    }
  } else {
    for (const d of days) {
      out.push({
        dataset: "klines",
        period: "daily",
        date: d,
        path: `${um}/daily/klines/${symbol}/${interval}/${symbol}-${interval}-${d}.zip`,
      });
    }
  }
  const w = new Set(options.with ?? []);
  if (w.has("oi")) {
    for (const d of days) {
      out.push({
        dataset: "metrics",
        period: "daily",
        date: d,
        path: `${um}/daily/metrics/${symbol}/${symbol}-metrics-${d}.zip`,
      });
    }
  }
  if (w.has("funding")) {
    for (const m of months) {
      out.push({
        dataset: "fundingRate",
        period: "monthly",
        date: m,
        path: `${um}/monthly/fundingRate/${symbol}/${symbol}-fundingRate-${m}.zip`,
      });
    }
  }
  return out;
}

/** Options of {@link downloadArchive}. */
export interface DownloadOptions {
  /** Archive base URL. Default `https://data.binance.vision`. */
  baseUrl?: string;
  /** Local folder mirroring the archive. Default `data/binance`. */
  dir?: string;
  /** Attempts per request (≥ 1). Default 4. */
  attempts?: number;
  /** First backoff delay, ms; doubles each retry. Default 500. */
  backoffMs?: number;
  /** Show a progress bar on stderr. Default true. */
  progress?: boolean;
  /** `fetch` implementation (tests). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** Outcome per file of {@link downloadArchive}. */
export interface DownloadResult {
  file: ArchiveFile;
  /** Local path of the verified zip. */
  localPath: string;
  /** `"downloaded"` or `"skipped"` (already present and verified). */
  status: "downloaded" | "skipped";
  /** Bytes downloaded (0 when skipped). */
  bytes: number;
  /** Attempts used for the zip (0 when skipped). */
  attempts: number;
  sha256: string;
}

/**
 * Download and verify every file (sequentially). Throws a {@link FetchError} naming the URL
 * when a file is missing (HTTP 404), when retries are exhausted, or when a zip does not
 * match its `.CHECKSUM`.
 */
export async function downloadArchive(
  files: ArchiveFile[],
  options: DownloadOptions = {},
): Promise<DownloadResult[]> {
  const base = (options.baseUrl ?? "https://data.binance.vision").replace(/\/+$/, "");
  const dir = (options.dir ?? "data/binance").replace(/\/+$/, "");
  const attempts = options.attempts ?? 4;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new ConfigError(`attempts must be a positive integer, got ${attempts}`, {
      parameter: "attempts",
    });
  }
  const backoff = options.backoffMs ?? 500;
  const doFetch = options.fetch ?? globalThis.fetch;
  const bar = new ProgressBar(files.length, options.progress ?? true);
  const out: DownloadResult[] = [];
  for (const f of files) {
    const local = `${dir}/${f.path}`;
    const localSum = `${local}.CHECKSUM`;
    const name = f.path.split("/").pop()!;
    bar.update(out.length, name);
    // Skip when present and matching the saved checksum.
    const saved = await readChecksumFile(localSum);
    if (saved && (await exists(local))) {
      const h = await sha256Hex(await Deno.readFile(local));
      if (h === saved) {
        out.push({
          file: f,
          localPath: local,
          status: "skipped",
          bytes: 0,
          attempts: 0,
          sha256: h,
        });
        continue;
      }
    }
    await Deno.mkdir(local.slice(0, local.lastIndexOf("/")), { recursive: true });
    const url = `${base}/${f.path}`;
    const sumText = new TextDecoder().decode(
      (await fetchWithRetry(`${url}.CHECKSUM`, doFetch, attempts, backoff)).bytes,
    );
    const expected = parseChecksum(sumText, `${url}.CHECKSUM`);
    let lastErr: FetchError | null = null;
    let used = 0;
    let done = false;
    for (let k = 0; k < attempts && !done; k++) {
      const r = await fetchWithRetry(url, doFetch, attempts - used, backoff);
      used += r.attempts;
      const h = await sha256Hex(r.bytes);
      if (h !== expected) {
        lastErr = new FetchError(
          `SHA-256 mismatch: got ${h}, .CHECKSUM says ${expected}`,
          { file: url },
          "the download is corrupt or the archive changed; retry later, or delete the local copy",
        );
        if (used >= attempts) break;
        await sleep(backoff * 2 ** k);
        continue;
      }
      await Deno.writeFile(`${local}.part`, r.bytes);
      await Deno.rename(`${local}.part`, local);
      await Deno.writeTextFile(localSum, sumText);
      out.push({
        file: f,
        localPath: local,
        status: "downloaded",
        bytes: r.bytes.length,
        attempts: used,
        sha256: h,
      });
      bar.addBytes(r.bytes.length);
      done = true;
    }
    if (!done) throw lastErr ?? new FetchError("download failed", { file: url });
  }
  bar.update(out.length, "done");
  bar.finish();
  return out;
}

/**
 * Verify a local zip against a `.CHECKSUM` text; throws a {@link FetchError} on mismatch.
 * Returns the SHA-256 hex.
 */
export async function verifyChecksum(zipPath: string, checksumText: string): Promise<string> {
  const expected = parseChecksum(checksumText, `${zipPath}.CHECKSUM`);
  const h = await sha256Hex(await Deno.readFile(zipPath));
  if (h !== expected) {
    throw new FetchError(`SHA-256 mismatch: got ${h}, .CHECKSUM says ${expected}`, {
      file: zipPath,
    }, "delete the file and download it again");
  }
  return h;
}

/** Parse a `.CHECKSUM` file (`"<64 hex>  name"`); throws a FetchError when malformed. */
export function parseChecksum(text: string, where: string): string {
  const m = /^\s*([0-9a-fA-F]{64})\b/.exec(text);
  if (!m) {
    throw new FetchError(
      "malformed .CHECKSUM (expected a SHA-256 hex digest)",
      { file: where },
      "the server did not return a Binance checksum file; check --base-url",
    );
  }
  return m[1].toLowerCase();
}

async function fetchWithRetry(
  url: string,
  doFetch: typeof fetch,
  attempts: number,
  backoffMs: number,
): Promise<{ bytes: Uint8Array; attempts: number }> {
  let last = "";
  const n = Math.max(1, attempts);
  for (let k = 0; k < n; k++) {
    if (k > 0) await sleep(backoffMs * 2 ** (k - 1));
    let res: Response;
    try {
      res = await doFetch(url);
    } catch (e) {
      last = `network error: ${(e as Error).message}`;
      continue;
    }
    if (res.ok) {
      try {
        return { bytes: new Uint8Array(await res.arrayBuffer()), attempts: k + 1 };
      } catch (e) {
        last = `connection dropped while reading: ${(e as Error).message}`;
        continue;
      }
    }
    await res.body?.cancel();
    if (res.status === 404) {
      throw new FetchError(
        "not found (HTTP 404)",
        { file: url },
        "the archive has no such file: check symbol/interval/dates (the current month is only published as daily files)",
      );
    }
    last = `HTTP ${res.status}`;
    if (res.status < 500 && res.status !== 429 && res.status !== 408) break;
  }
  throw new FetchError(
    `download failed after ${n} attempt(s): ${last}`,
    { file: url },
    "check the network or --base-url and run again; verified files are skipped",
  );
}

async function readChecksumFile(path: string): Promise<string | null> {
  try {
    return parseChecksum(await Deno.readTextFile(path), path);
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A minimal stderr progress bar (redraws in place on a terminal, one line per file otherwise). */
class ProgressBar {
  #total: number;
  #on: boolean;
  #tty: boolean;
  #bytes = 0;
  #enc = new TextEncoder();
  constructor(total: number, on: boolean) {
    this.#total = total;
    this.#on = on;
    this.#tty = on && Deno.stderr.isTerminal();
  }
  addBytes(n: number): void {
    this.#bytes += n;
  }
  update(done: number, label: string): void {
    if (!this.#on) return;
    const w = 30;
    const fill = this.#total ? Math.round((done / this.#total) * w) : w;
    const line = `[${"#".repeat(fill)}${".".repeat(w - fill)}] ${done}/${this.#total} files ${
      (this.#bytes / 1e6).toFixed(1)
    } MB ${label}`;
    Deno.stderr.writeSync(this.#enc.encode(this.#tty ? `\r${line.padEnd(100)}` : `${line}\n`));
  }
  finish(): void {
    if (this.#tty) Deno.stderr.writeSync(this.#enc.encode("\n"));
  }
}
