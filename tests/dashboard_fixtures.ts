/**
 * Shared pieces of the dashboard tests: run-folder fixtures in the layout `train` writes,
 * raw HTTP requests (no client-side URL normalisation, so `..` and `%2e%2e` reach the
 * server as typed), and a headless Chromium for the end-to-end tests.
 */

/**
 * The part of puppeteer-core's API these tests use. puppeteer-core is loaded with a
 * non-literal dynamic import: its typings reference `@types/node`, which resolves to an old
 * version in this dependency tree and breaks the type-check of `node:` imports in the same
 * program (`Cannot find name 'node:assert/strict'`).
 */
export interface Page {
  goto(url: string, options?: { waitUntil?: string; timeout?: number }): Promise<unknown>;
  setViewport(v: { width: number; height: number }): Promise<void>;
  // deno-lint-ignore no-explicit-any
  evaluate<T>(fn: (...args: any[]) => T, ...args: unknown[]): Promise<Awaited<T>>;
  waitForFunction(
    // deno-lint-ignore no-explicit-any
    fn: (...args: any[]) => unknown,
    options?: { timeout?: number; polling?: string | number },
    ...args: unknown[]
  ): Promise<unknown>;
  waitForSelector(sel: string, options?: { timeout?: number }): Promise<unknown>;
  click(sel: string): Promise<void>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  on(event: string, handler: (arg: never) => void): unknown;
  url(): string;
  close(): Promise<void>;
}
/** A launched browser. */
export interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Puppeteer {
  launch(options: Record<string, unknown>): Promise<Browser>;
}

/** Debian's Chromium (installed by `.ci/run`). */
export const CHROMIUM = "/usr/bin/chromium";

/** True when Chromium is installed. */
export function chromiumAvailable(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/** One `update` row as `MetricsLogger` writes it (fields the dashboard plots). */
export function updateRow(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "update",
    update: i,
    timesteps: 512 * i,
    fps: 1000 + 10 * i,
    loss: 100 / i,
    policyLoss: -0.01 / i,
    valueLoss: 200 / i,
    entropy: 1.3 - 0.01 * i,
    approxKl: 0.005,
    clipFraction: 0.1,
    explainedVariance: 0.01 * i,
    episodeReturnMean: -1000 + 10 * i,
    refKl: null,
    wallTime: Date.now() / 1000,
    ...extra,
  };
}

/** Options of {@link writeRun}. */
export interface FixtureRun {
  seed?: number;
  status?: string;
  algorithm?: string;
  rows?: number;
  best?: number;
  createdAt?: string;
  config?: Record<string, unknown>;
  evaluation?: unknown;
}

/** Write a run folder (`config.json`, `manifest.json`, `metrics.jsonl`) under `models`. */
export async function writeRun(models: string, id: string, o: FixtureRun = {}): Promise<string> {
  const dir = `${models}/${id}`;
  await Deno.mkdir(dir, { recursive: true });
  const seed = o.seed ?? 0;
  const rows = o.rows ?? 10;
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ agent: o.algorithm ?? "ppo", seed, timesteps: 512 * rows, ...o.config }),
  );
  await Deno.writeTextFile(
    `${dir}/manifest.json`,
    JSON.stringify({
      runId: id,
      createdAt: o.createdAt ?? "2026-11-30T10:00:00.000Z",
      updatedAt: o.createdAt ?? "2026-11-30T10:00:00.000Z",
      status: o.status ?? "completed",
      algorithm: o.algorithm ?? "ppo",
      seed,
      data: { source: "synthetic", sha256: null, bars: 8000, interval: "5m" },
      totalTimesteps: 512 * rows,
      timesteps: 512 * rows,
      best: o.best === undefined ? null : { metric: "sharpe", value: o.best, timesteps: 1024 },
    }),
  );
  const lines = Array.from({ length: rows }, (_, i) => JSON.stringify(updateRow(i + 1)) + "\n");
  await Deno.writeTextFile(`${dir}/metrics.jsonl`, lines.join(""));
  if (o.evaluation !== undefined) {
    await Deno.writeTextFile(`${dir}/evaluation.json`, JSON.stringify(o.evaluation));
  }
  return dir;
}

/** Append one line to a run's `metrics.jsonl` in one write (as `RunDir.logMetrics` does). */
export async function appendRow(dir: string, row: Record<string, unknown>): Promise<void> {
  await Deno.writeTextFile(`${dir}/metrics.jsonl`, JSON.stringify(row) + "\n", { append: true });
}

/** A raw HTTP/1.1 exchange: the request target is sent exactly as given. */
export async function rawRequest(
  port: number,
  target: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: string; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const headers = { host: `127.0.0.1:${port}`, connection: "close", ...options.headers };
    const head = `${options.method ?? "GET"} ${target} HTTP/1.1\r\n` +
      Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
    await conn.write(new TextEncoder().encode(head));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    const deadline = setTimeout(() => conn.close(), 5000);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
      }
    } catch {
      /* closed by the deadline: the response so far is checked */
    } finally {
      clearTimeout(deadline);
    }
    const text = new TextDecoder().decode(
      chunks.reduce((a, c) => {
        const o = new Uint8Array(a.length + c.length);
        o.set(a);
        o.set(c, a.length);
        return o;
      }, new Uint8Array()),
    );
    const sep = text.indexOf("\r\n\r\n");
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    return { status, headers: text.slice(0, sep), body: text.slice(sep + 4) };
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/** Launch headless Chromium with the project's flags and a fresh profile. */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = await Deno.makeTempDir({ prefix: "dash-chromium-" });
  const spec = ["puppeteer", "core"].join("-");
  const puppeteer = (await import(spec)).default as Puppeteer;
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
