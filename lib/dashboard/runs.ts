/**
 * Tolerant, typed readers of run folders, treated as DATA (the dashboard never imports the
 * code that writes them, so it keeps working while that code moves between folders).
 *
 * Fields relied on (all optional; a missing or malformed one becomes null, never an error):
 * - `manifest.json`: `status` (`running` | `completed` | `stopped_early` | `failed` |
 *   `interrupted`), `algorithm`, `seed`, `timesteps`, `totalTimesteps`, `createdAt`,
 *   `updatedAt` (ISO-8601), `best` `{metric, value, timesteps}`, `data`
 *   `{source, bars, interval, symbol?}`, `env` or `extra.env` (when a writer records it),
 *   `extra.validation` (`{final, best, alwaysFlat, random}` summaries), `extra.error`.
 * - `config.json`: `agent` (algorithm fallback), `env`, `seed`, `data`, `timesteps`; a
 *   `reward` object without any `env` field means the futures env (the only env `train` had).
 * - `metrics.jsonl`: one JSON object per line; `type` (`update` | `eval`), `timesteps`
 *   (global environment steps) and numeric fields (`loss`, `entropy`, …). A torn last line
 *   (no trailing newline yet) is left for the next read.
 * - `evaluation.json`: see `evaluation.ts`.
 *
 * @module
 */
import { redact } from "./_redact.ts";
import { runFile, type RunLocation } from "./_paths.ts";
import { type EvaluationSummary, readEvaluation, testSummary } from "./evaluation.ts";

/** Largest JSON document read (bytes); bigger files are reported as a problem. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** Largest slice of `metrics.jsonl` returned by one read (bytes). */
export const MAX_METRICS_CHUNK = 8 * 1024 * 1024;

/**
 * Status shown for a run. `stale`: the manifest says `running` but neither `metrics.jsonl`
 * nor `manifest.json` changed for longer than the stale threshold (a killed process, a
 * crashed machine). `unknown`: no readable manifest.
 */
export type RunStatus =
  | "running"
  | "stale"
  | "completed"
  | "stopped_early"
  | "failed"
  | "interrupted"
  | "unknown";

/** One row of the runs table (`GET /api/runs`). */
export interface RunSummary {
  /** Folder name under the models folder. */
  id: string;
  /** Status shown (see {@link RunStatus}). */
  status: RunStatus;
  /** Algorithm (`ppo`, `a2c`, `grpo`), or null. */
  algorithm: string | null;
  /** Environment, or null when the run did not record one. */
  env: string | null;
  /** Data source (`synthetic` or a path) with bars and interval when known. */
  data: string | null;
  /** Training seed. */
  seed: number | null;
  /** Environment steps trained so far (the newest metrics row while running). */
  timesteps: number | null;
  /** Step budget. */
  totalTimesteps: number | null;
  /** Best validation result so far: metric name, value, global step. */
  best: { metric: string; value: number | null; timesteps: number | null } | null;
  /** Test-split result from `evaluation.json`, or null when the run was not evaluated. */
  test: EvaluationSummary | null;
  /** ISO-8601 creation time. */
  createdAt: string | null;
  /** Last change of the run's files, epoch ms (max of manifest and metrics mtimes). */
  lastWriteMs: number | null;
  /** Size of `metrics.jsonl`, bytes (0 when absent). */
  metricsBytes: number;
  /** Problems met while reading (malformed JSON, oversize files); empty when none. */
  problems: string[];
}

/** A whole run (`GET /api/runs/:id`): summary plus the redacted config and manifest. */
export interface RunDetail extends RunSummary {
  /** `config.json` with secret-looking keys redacted, or null. */
  config: unknown;
  /** `manifest.json` with secret-looking keys redacted, or null. */
  manifest: unknown;
  /** Whether `evaluation.json` exists. */
  hasEvaluation: boolean;
}

/** Options of the readers. */
export interface ReadRunOptions {
  /** A `running` run idle longer than this is `stale`, ms (default 300,000 = 5 min). */
  staleAfterMs?: number;
  /** Clock (epoch ms), injectable for tests. Default `Date.now`. */
  now?: () => number;
}

type Json = Record<string, unknown>;

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}
function str(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}
function obj(v: unknown): Json | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v as Json : null;
}

/**
 * What went wrong reading `label`, WITHOUT the error's own message: a JSON parse error
 * quotes the file's text (which may hold a secret) and file-system errors name absolute
 * server paths; neither belongs in a response.
 */
export function describeReadError(label: string, e: unknown): string {
  if (e instanceof SyntaxError) return `${label} is not valid JSON`;
  return `${label} cannot be read (${e instanceof Error ? e.name : "error"})`;
}

/** Read and parse a JSON object file; `{value: null}` when absent, `problem` when malformed. */
export async function readJsonFile(
  path: string | null,
  label: string,
): Promise<{ value: Json | null; problem?: string; mtimeMs?: number }> {
  if (path === null) return { value: null };
  try {
    const st = await Deno.stat(path);
    if (st.size > MAX_JSON_BYTES) {
      return { value: null, problem: `${label} is larger than ${MAX_JSON_BYTES} bytes` };
    }
    const parsed = JSON.parse(await Deno.readTextFile(path));
    const o = obj(parsed);
    if (!o) return { value: null, problem: `${label} is not a JSON object` };
    return { value: o, mtimeMs: st.mtime?.getTime() };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { value: null };
    return { value: null, problem: describeReadError(label, e) };
  }
}

/** The last complete row of `metrics.jsonl` (reads at most the final 256 KiB), or null. */
async function lastMetricsRow(path: string, size: number): Promise<Json | null> {
  if (size === 0) return null;
  const start = Math.max(0, size - 256 * 1024);
  const file = await Deno.open(path, { read: true });
  try {
    await file.seek(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    let off = 0;
    while (off < buf.length) {
      const n = await file.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    const lines = new TextDecoder().decode(buf.subarray(0, off)).split("\n");
    lines.pop(); // torn or empty tail
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const o = obj(JSON.parse(lines[i]));
        if (o) return o;
      } catch { /* a partial first line of the window, or garbage: keep looking */ }
    }
    return null;
  } finally {
    file.close();
  }
}

function dataLabel(manifest: Json | null, config: Json | null): string | null {
  const d = obj(manifest?.data);
  if (d) {
    const parts = [str(d.source) ?? "?"];
    const sym = str(d.symbol);
    if (sym) parts.push(sym);
    const bars = num(d.bars);
    const iv = str(d.interval);
    if (bars !== null) parts.push(`${bars} bars${iv ? ` of ${iv}` : ""}`);
    return parts.join(" · ");
  }
  return str(config?.data);
}

function statusOf(
  manifest: Json | null,
  lastWriteMs: number | null,
  opts: ReadRunOptions,
): RunStatus {
  const s = str(manifest?.status);
  if (s === "running") {
    const now = (opts.now ?? Date.now)();
    const idle = lastWriteMs === null ? Infinity : now - lastWriteMs;
    return idle > (opts.staleAfterMs ?? 300_000) ? "stale" : "running";
  }
  if (
    s === "completed" || s === "stopped_early" || s === "failed" || s === "interrupted"
  ) return s;
  return "unknown";
}

/** Everything read from a run folder, shared by the summary and the detail. */
async function readRun(
  run: RunLocation,
  opts: ReadRunOptions,
): Promise<
  { summary: RunSummary; config: Json | null; manifest: Json | null; evalPath: string | null }
> {
  const problems: string[] = [];
  const m = await readJsonFile(await runFile(run, "manifest.json"), "manifest.json");
  const c = await readJsonFile(await runFile(run, "config.json"), "config.json");
  if (m.problem) problems.push(m.problem);
  if (c.problem) problems.push(c.problem);
  const manifest = m.value;
  const config = c.value;
  const metricsPath = await runFile(run, "metrics.jsonl");
  let metricsBytes = 0;
  let metricsMtime: number | null = null;
  let last: Json | null = null;
  if (metricsPath) {
    try {
      const st = await Deno.stat(metricsPath);
      metricsBytes = st.size;
      metricsMtime = st.mtime?.getTime() ?? null;
      last = await lastMetricsRow(metricsPath, st.size);
    } catch (e) {
      problems.push(describeReadError("metrics.jsonl", e));
    }
  }
  const times = [m.mtimeMs ?? null, metricsMtime].filter((x): x is number => x !== null);
  const lastWriteMs = times.length ? Math.max(...times) : null;
  const status = statusOf(manifest, lastWriteMs, opts);
  const extra = obj(manifest?.extra);
  const bestObj = obj(manifest?.best);
  const manifestSteps = num(manifest?.timesteps);
  const lastSteps = num(last?.timesteps);
  const evalPath = await runFile(run, "evaluation.json");
  let test: EvaluationSummary | null = null;
  if (evalPath) {
    const ev = await cachedTestSummary(evalPath);
    if (ev.problem) problems.push(ev.problem);
    test = ev.test;
  }
  const summary: RunSummary = {
    id: run.id,
    status,
    algorithm: str(manifest?.algorithm) ?? str(config?.agent) ?? str(config?.algorithm),
    // Runs written before the env was recorded come from `train`, whose only env was the
    // futures env (recognisable by its reward terms in the config).
    env: str(manifest?.env) ?? str(extra?.env) ?? str(config?.env) ??
      (obj(config?.reward) ? "futures" : null),
    data: dataLabel(manifest, config),
    seed: num(manifest?.seed) ?? num(config?.seed),
    timesteps: status === "running" || status === "stale" || manifestSteps === null
      ? Math.max(manifestSteps ?? 0, lastSteps ?? 0) || manifestSteps || lastSteps
      : manifestSteps,
    totalTimesteps: num(manifest?.totalTimesteps) ?? num(config?.timesteps),
    best: bestObj
      ? {
        metric: str(bestObj.metric) ?? "?",
        value: num(bestObj.value),
        timesteps: num(bestObj.timesteps),
      }
      : null,
    test,
    createdAt: str(manifest?.createdAt),
    lastWriteMs,
    metricsBytes,
    problems,
  };
  return { summary, config, manifest, evalPath };
}

/**
 * Test-split summaries by `evaluation.json` path, reused while the file's size and mtime
 * stay the same: the runs table is re-read while runs train, and an evaluation with equity
 * curves can be megabytes. Bounded; the oldest entry goes first.
 */
const evalCache = new Map<
  string,
  { sig: string; test: EvaluationSummary | null; problem?: string }
>();
const EVAL_CACHE_MAX = 2000;

async function cachedTestSummary(
  path: string,
): Promise<{ test: EvaluationSummary | null; problem?: string }> {
  let sig = "";
  try {
    const st = await Deno.stat(path);
    sig = `${st.size}:${st.mtime?.getTime()}`;
  } catch { /* gone: read below reports it */ }
  const hit = evalCache.get(path);
  if (hit && sig && hit.sig === sig) return hit;
  const ev = await readEvaluation(path);
  const entry = {
    sig,
    test: ev.evaluation ? testSummary(ev.evaluation) : null,
    problem: ev.problem,
  };
  evalCache.delete(path);
  evalCache.set(path, entry);
  if (evalCache.size > EVAL_CACHE_MAX) evalCache.delete(evalCache.keys().next().value!);
  return entry;
}

/** True when a folder looks like a run (has a manifest, a config or a metrics log). */
async function looksLikeRun(run: Pick<RunLocation, "realRoot" | "dir">): Promise<boolean> {
  for (const f of ["manifest.json", "config.json", "metrics.jsonl"]) {
    if (await runFile(run, f)) return true;
  }
  return false;
}

/**
 * Summaries of every run folder directly under the models folder, newest first.
 * @param realRoot the models folder's real path
 * @param resolve maps a folder name to its checked real path (see `_paths.ts`), or null
 */
export async function listRuns(
  realRoot: string,
  resolve: (id: string) => Promise<string | null>,
  opts: ReadRunOptions = {},
): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  for await (const e of Deno.readDir(realRoot)) {
    const dir = await resolve(e.name);
    if (dir === null || !(await looksLikeRun({ realRoot, dir }))) continue;
    out.push((await readRun({ realRoot, dir, id: e.name }, opts)).summary);
  }
  out.sort((a, b) =>
    (b.createdAt ?? "").localeCompare(a.createdAt ?? "") || a.id.localeCompare(b.id)
  );
  return out;
}

/** One run's detail (config and manifest redacted). */
export async function readRunDetail(
  run: RunLocation,
  opts: ReadRunOptions = {},
): Promise<RunDetail> {
  const r = await readRun(run, opts);
  return {
    ...r.summary,
    config: redact(r.config),
    manifest: redact(r.manifest),
    hasEvaluation: r.evalPath !== null,
  };
}

/** A slice of `metrics.jsonl` (`GET /api/runs/:id/metrics?since=…`). */
export interface MetricsChunk {
  /** Parsed rows (objects only; secret-looking keys redacted). */
  rows: Record<string, unknown>[];
  /** Byte offset to ask for next (`since`): the end of the last complete line returned. */
  next: number;
  /** True when the file shrank below `since` (rewritten by a resume): rows restart at 0. */
  reset: boolean;
  /** Malformed complete lines skipped (1-based line numbers are not tracked across slices). */
  skipped: number;
}

/**
 * Read complete lines of `metrics.jsonl` from byte offset `since` (at most
 * {@link MAX_METRICS_CHUNK} bytes; call again with `next` for more). A torn last line is not
 * consumed; a file shorter than `since` restarts from 0 with `reset: true`.
 * @param path real path of the metrics file, or null (absent: empty chunk)
 * @param since byte offset (0 = from the start)
 */
export async function readMetricsChunk(path: string | null, since: number): Promise<MetricsChunk> {
  if (path === null) return { rows: [], next: 0, reset: since > 0, skipped: 0 };
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return { rows: [], next: 0, reset: since > 0, skipped: 0 };
  }
  try {
    const size = (await file.stat()).size;
    let reset = false;
    let from = since;
    if (size < since) {
      reset = true;
      from = 0;
    }
    const len = Math.min(size - from, MAX_METRICS_CHUNK);
    if (len <= 0) return { rows: [], next: from, reset, skipped: 0 };
    await file.seek(from, Deno.SeekMode.Start);
    const buf = new Uint8Array(len);
    let off = 0;
    while (off < len) {
      const n = await file.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    const lastNl = buf.subarray(0, off).lastIndexOf(10);
    if (lastNl < 0) return { rows: [], next: from, reset, skipped: 0 };
    const text = new TextDecoder().decode(buf.subarray(0, lastNl));
    const rows: Record<string, unknown>[] = [];
    let skipped = 0;
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        const o = obj(JSON.parse(line));
        if (o) rows.push(redact(o) as Record<string, unknown>);
        else skipped++;
      } catch {
        skipped++;
      }
    }
    return { rows, next: from + lastNl + 1, reset, skipped };
  } finally {
    file.close();
  }
}
