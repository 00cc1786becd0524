/**
 * Reading a run folder written by `deno task train` (and later `deno task evaluate`) as data,
 * with its own small typed readers: the sweep does not import the training code, so it keeps
 * working while that code moves. The fields relied on:
 *
 * `manifest.json`
 * - `status`: `"running" | "completed" | "stopped_early" | "failed"`; a run is complete when
 *   it is `completed` or `stopped_early` (early stopping is a normal end).
 * - `seed` (number), `algorithm` (string), `timesteps` (global steps trained).
 * - `timings.trainSeconds`, `timings.stepsPerSecond` (seconds; steps per second).
 * - `extra.validation.<model>.<field>` for `<model>` in `final`, `best`, `alwaysFlat`,
 *   `random` and `<field>` in `sharpe` (annualised), `totalReturn` (fraction, final/initial
 *   equity − 1), `meanReturn` (env reward sum), `finalEquity` (quote currency), `trades`
 *   (closed trades), `length` (bars). Missing or null values stay missing.
 *
 * `evaluation.json` (optional; written by `deno task evaluate`, issue 20): every finite number
 * reachable through objects (not arrays) up to depth 5 becomes a metric `evaluation.<path>`.
 * From a `kind: "rlt-evaluation"` file also the paired RL-vs-baseline pair of its first
 * bootstrap entry (the first evaluated model: the best model by default, against the fixed-rule
 * baseline — the options env's reversal rule): `evaluation.<split>.rl.sharpe` /
 * `evaluation.<split>.baseline.sharpe` (`sharpeRl` / `sharpeBaseline`, annualised, same bars)
 * and `evaluation.<split>.rl.totalReturn` / `evaluation.<split>.baseline.totalReturn` (fraction,
 * from the `rows` of that model and of the `baseline` strategy).
 *
 * `metrics.jsonl` (optional): the last line with `"type": "update"` gives
 * `train.entropy`, `train.explainedVariance`, `train.approxKl` when present; a torn last line
 * (a killed writer) is skipped.
 *
 * @module
 */

/** Metric name → value (null = not measured / not finite). */
export type MetricValues = Record<string, number | null>;

/** What the sweep reads from a run folder. */
export interface RunSummary {
  /** The run folder. */
  runDir: string;
  /** `manifest.json` status, or `"missing"` when there is no readable manifest. */
  status: string;
  /** True when the run ended normally (`completed` or `stopped_early`). */
  complete: boolean;
  /** Training seed from the manifest (null if absent). */
  seed: number | null;
  /** Algorithm from the manifest (null if absent). */
  algorithm: string | null;
  /** Whether `evaluation.json` exists. */
  evaluated: boolean;
  /** Flattened metrics (see the module doc for the names). */
  metrics: MetricValues;
}

const COMPLETE = new Set(["completed", "stopped_early"]);
const VALIDATION_FIELDS = ["sharpe", "totalReturn", "meanReturn", "finalEquity", "trades"];
const TRAIN_FIELDS = ["entropy", "explainedVariance", "approxKl"];

async function readJsonObject(path: string): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : null;
  } catch {
    return null; // a torn file counts as missing: the run is not complete
  }
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : null;
}

/** Whether a run folder's manifest says the run ended normally. */
export async function isRunComplete(runDir: string): Promise<boolean> {
  const m = await readJsonObject(`${runDir}/manifest.json`);
  return m !== null && COMPLETE.has(String(m.status));
}

/** Flatten the finite numbers of a JSON object into `prefix.path` metrics (objects only). */
export function flattenNumbers(
  value: unknown,
  prefix: string,
  out: MetricValues = {},
  depth = 5,
): MetricValues {
  const o = obj(value);
  if (!o || depth === 0) return out;
  for (const [k, v] of Object.entries(o)) {
    const name = `${prefix}.${k}`;
    if (typeof v === "number") out[name] = Number.isFinite(v) ? v : null;
    else if (v === null) out[name] = null;
    else if (obj(v)) flattenNumbers(v, name, out, depth - 1);
  }
  return out;
}

/** Read a run folder's summary: status, seed and metrics (see the module doc). */
export async function readRunSummary(runDir: string): Promise<RunSummary> {
  const manifest = await readJsonObject(`${runDir}/manifest.json`);
  const metrics: MetricValues = {};
  const status = manifest ? String(manifest.status ?? "missing") : "missing";
  if (manifest) {
    const validation = obj(obj(manifest.extra)?.validation);
    for (const model of ["final", "best", "alwaysFlat", "random"]) {
      const m = obj(validation?.[model]);
      for (const f of VALIDATION_FIELDS) {
        if (m && f in m) metrics[`validation.${model}.${f}`] = num(m[f]);
      }
    }
    const t = obj(manifest.timings);
    if (t) {
      metrics["train.seconds"] = num(t.trainSeconds);
      metrics["train.stepsPerSecond"] = num(t.stepsPerSecond);
    }
    if (manifest.timesteps !== undefined) metrics["train.timesteps"] = num(manifest.timesteps);
  }
  const evaluation = await readJsonObject(`${runDir}/evaluation.json`);
  if (evaluation) {
    flattenNumbers(evaluation, "evaluation", metrics);
    evaluationPair(evaluation, metrics);
  }
  const last = await lastUpdateRecord(`${runDir}/metrics.jsonl`);
  if (last) {
    for (const f of TRAIN_FIELDS) if (f in last) metrics[`train.${f}`] = num(last[f]);
  }
  return {
    runDir,
    status,
    complete: COMPLETE.has(status),
    seed: manifest ? num(manifest.seed) : null,
    algorithm: manifest && typeof manifest.algorithm === "string" ? manifest.algorithm : null,
    evaluated: evaluation !== null,
    metrics,
  };
}

/** The RL-vs-baseline pair of an `evaluation.json` (see the module doc). */
function evaluationPair(ev: Record<string, unknown>, out: MetricValues): void {
  if (ev.kind !== "rlt-evaluation" || typeof ev.split !== "string") return;
  const boot = Array.isArray(ev.bootstrap) ? obj(ev.bootstrap[0]) : null;
  if (!boot) return;
  const p = `evaluation.${ev.split}`;
  out[`${p}.rl.sharpe`] = num(boot.sharpeRl);
  out[`${p}.baseline.sharpe`] = num(boot.sharpeBaseline);
  const rows = Array.isArray(ev.rows) ? ev.rows.map(obj) : [];
  const baselineName = typeof ev.baseline === "string" ? ev.baseline : "fixed-rule baseline";
  const rl = rows.find((r) => r?.name === boot.run);
  const base = rows.find((r) => r?.name === baselineName);
  if (rl) out[`${p}.rl.totalReturn`] = num(rl.totalReturn);
  if (base) out[`${p}.baseline.totalReturn`] = num(base.totalReturn);
}

async function lastUpdateRecord(path: string): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return null;
  }
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i].trim();
    if (!l) continue;
    try {
      const rec = JSON.parse(l);
      if (rec && rec.type === "update") return rec as Record<string, unknown>;
    } catch { /* a torn last line */ }
  }
  return null;
}
