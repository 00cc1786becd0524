/**
 * The sweep specification (`sweep.json`) and its expansion into cells.
 *
 * A sweep is a base configuration, a grid of axes (every combination is one cell) and/or an
 * explicit list of cells. Keys are the train CLI's option names (`seed`, `agent`, `preset`,
 * `timesteps`, `ent-coef`, …; camelCase is accepted and normalised to kebab-case, as the train
 * CLI's `--config` does). A cell's id is derived from its configuration only (SHA-256 of the
 * canonical JSON), so the same configuration has the same id in every sweep, on every machine:
 * resuming, deduplicating and the queue's job ids all rest on that.
 *
 * Pass-through keys are part of the cell's identity, grouping and walk-forward view, but are
 * not sent to the train CLI; by default `fold` is one only when the train CLI does not declare
 * `--fold` (since issue 19 it does: a fold axis selects each cell's walk-forward fold); see
 * {@link SweepSpec.passThrough} and `checkSweepKeys`.
 *
 * @module
 */
import { ConfigError } from "../../util/mod.ts";
import { sha256Hex } from "../../util/mod.ts";

/** A configuration value: what a train CLI `--config` JSON file may hold. */
export type ConfigValue = string | number | boolean | null | ConfigValue[] | {
  [k: string]: ConfigValue;
};

/** A cell's configuration: option name (kebab-case) → value. */
export type CellConfig = Record<string, ConfigValue>;

/** One RL-minus-baseline comparison: metric names as in the results table. */
export interface CompareSpec {
  /** The agent's metric, e.g. `validation.final.sharpe`. */
  rl: string;
  /** The baseline's metric measured on the same run (same data, same fold). */
  baseline: string;
}

/** The contents of `sweep.json`. */
export interface SweepSpec {
  /** Human name of the sweep (free text). */
  name?: string;
  /** Values shared by every cell (overridden by grid axes and explicit cells). */
  base?: CellConfig;
  /** Axes: every combination of their values is one cell. */
  grid?: Record<string, ConfigValue[]>;
  /** Explicit cells (each merged over `base`; combined with the grid when both are given). */
  cells?: CellConfig[];
  /**
   * Keys that identify and group cells but are not passed to the train CLI. Default: `fold`
   * if the train CLI has no `--fold` option (then a fold axis only labels the runs and the
   * sweep says so), else none — `--fold` / `--folds` select the cell's walk-forward fold.
   */
  passThrough?: string[];
  /**
   * Keys that define a group in the results (cells of a group differ only in `seed`). Default:
   * every key whose value varies across cells, except `seed` and `fold`.
   */
  groupBy?: string[];
  /** Failed cells are retried up to this many times (default 1). */
  retries?: number;
  /**
   * The evaluation step after training: `"auto"` (default: run `deno task evaluate <run>` when
   * the project defines that task, else skip), `"off"`, or an argv template where `{run}` is
   * replaced by the run folder.
   */
  evaluate?: "auto" | "off" | string[];
  /**
   * RL-minus-baseline comparisons (default: the test-split Sharpe of the best model minus the
   * fixed-rule baseline's from `evaluation.json`; without evaluations, the final model vs
   * random and vs always-flat validation Sharpe).
   */
  compare?: CompareSpec[];
  /** Seed of the bootstrap resampling (default 0). */
  bootstrapSeed?: number;
}

/** One cell of a sweep. */
export interface Cell {
  /** Deterministic id: readable prefix + 10 hex digits of the config's SHA-256. */
  id: string;
  /** Short label from the grid-axis values, e.g. `agent=a2c seed=1`. */
  label: string;
  /** The full configuration (including pass-through keys). */
  config: CellConfig;
  /** The configuration given to the train CLI (`config` without pass-through keys). */
  trainConfig: CellConfig;
}

/** Keys the sweep controls itself: never in a cell's configuration. */
export const RESERVED_KEYS: readonly string[] = ["out", "resume", "config", "help"];

const DEFAULT_PASS_THROUGH = ["fold"];

/** Normalise an option name: camelCase → kebab-case (as the train CLI's `--config` does). */
export function optionKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** JSON with object keys sorted at every depth: the canonical form hashed into cell ids. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).filter((k) =>
      (value as Record<string, unknown>)[k] !== undefined
    ).sort();
    return `{${
      keys.map((k) =>
        `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`
      ).join(",")
    }}`;
  }
  return JSON.stringify(value);
}

/** Deterministic id of a configuration (same config → same id, on any machine). */
export async function cellId(config: CellConfig): Promise<string> {
  const hash = (await sha256Hex(new TextEncoder().encode(canonicalJson(config)))).slice(0, 10);
  const parts: string[] = [];
  if (typeof config.agent === "string") parts.push(config.agent);
  if (typeof config.preset === "string" && config.preset !== "none") parts.push(config.preset);
  if (config.fold !== undefined) parts.push(`f${String(config.fold)}`);
  if (config.seed !== undefined) parts.push(`s${String(config.seed)}`);
  const prefix = parts.join("-").replace(/[^A-Za-z0-9_.-]/g, "_");
  return prefix ? `${prefix}-${hash}` : `cell-${hash}`;
}

function normaliseConfig(raw: unknown, where: string, file?: string): CellConfig {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`${where} must be an object of option values`, { file });
  }
  const out: CellConfig = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const key = optionKey(k);
    if (RESERVED_KEYS.includes(key)) {
      throw new ConfigError(
        `${where}: "${k}" is set by the sweep itself`,
        { file, parameter: k },
        "remove it (each cell's run folder and config file are chosen by the sweep)",
      );
    }
    if (v === undefined) continue;
    out[key] = v as ConfigValue;
  }
  return out;
}

/**
 * Validate a parsed `sweep.json` and normalise its keys. Throws a {@link ConfigError} naming
 * the bad field (and `file` when given).
 */
export function parseSweepSpec(raw: unknown, options: { file?: string } = {}): SweepSpec {
  const file = options.file;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError("a sweep file must be a JSON object", { file });
  }
  const r = raw as Record<string, unknown>;
  const known = [
    "name",
    "base",
    "grid",
    "cells",
    "passThrough",
    "groupBy",
    "retries",
    "evaluate",
    "compare",
    "bootstrapSeed",
  ];
  for (const k of Object.keys(r)) {
    if (!known.includes(k)) {
      throw new ConfigError(
        `unknown sweep field "${k}"`,
        { file, parameter: k },
        `fields: ${known.join(", ")}`,
      );
    }
  }
  const spec: SweepSpec = {};
  if (r.name !== undefined) spec.name = String(r.name);
  if (r.base !== undefined) spec.base = normaliseConfig(r.base, "base", file);
  if (r.grid !== undefined) {
    if (!r.grid || typeof r.grid !== "object" || Array.isArray(r.grid)) {
      throw new ConfigError("grid must be an object of axis → list of values", {
        file,
        parameter: "grid",
      });
    }
    spec.grid = {};
    for (const [k, v] of Object.entries(r.grid as Record<string, unknown>)) {
      const key = optionKey(k);
      if (RESERVED_KEYS.includes(key)) {
        throw new ConfigError(`grid: "${k}" is set by the sweep itself`, {
          file,
          parameter: `grid.${k}`,
        });
      }
      if (!Array.isArray(v) || v.length === 0) {
        throw new ConfigError(`grid.${k} must be a non-empty list of values`, {
          file,
          parameter: `grid.${k}`,
        });
      }
      spec.grid[key] = v as ConfigValue[];
    }
  }
  if (r.cells !== undefined) {
    if (!Array.isArray(r.cells)) {
      throw new ConfigError("cells must be a list", { file, parameter: "cells" });
    }
    spec.cells = r.cells.map((c, i) => normaliseConfig(c, `cells[${i}]`, file));
  }
  const strList = (name: string): string[] | undefined => {
    const v = r[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      throw new ConfigError(`${name} must be a list of option names`, { file, parameter: name });
    }
    return (v as string[]).map(optionKey);
  };
  spec.passThrough = strList("passThrough");
  spec.groupBy = strList("groupBy");
  if (r.retries !== undefined) {
    if (!Number.isInteger(r.retries) || (r.retries as number) < 0) {
      throw new ConfigError(
        `retries must be a non-negative integer, got ${JSON.stringify(r.retries)}`,
        {
          file,
          parameter: "retries",
        },
      );
    }
    spec.retries = r.retries as number;
  }
  if (r.evaluate !== undefined) {
    const e = r.evaluate;
    if (e === "auto" || e === "off") spec.evaluate = e;
    else if (Array.isArray(e) && e.length > 0 && e.every((x) => typeof x === "string")) {
      spec.evaluate = e as string[];
    } else {
      throw new ConfigError(
        `evaluate must be "auto", "off" or an argv list like ["deno","task","evaluate","{run}"]`,
        { file, parameter: "evaluate" },
      );
    }
  }
  if (r.compare !== undefined) {
    if (
      !Array.isArray(r.compare) ||
      r.compare.some((c) => !c || typeof c.rl !== "string" || typeof c.baseline !== "string")
    ) {
      throw new ConfigError('compare must be a list of {"rl": metric, "baseline": metric}', {
        file,
        parameter: "compare",
      });
    }
    spec.compare = r.compare as CompareSpec[];
  }
  if (r.bootstrapSeed !== undefined) {
    if (typeof r.bootstrapSeed !== "number" || !Number.isFinite(r.bootstrapSeed)) {
      throw new ConfigError("bootstrapSeed must be a number", { file, parameter: "bootstrapSeed" });
    }
    spec.bootstrapSeed = r.bootstrapSeed;
  }
  if (!spec.grid && !spec.cells) {
    throw new ConfigError(
      "a sweep needs a grid or a list of cells",
      { file },
      'e.g. {"grid": {"seed": [0, 1, 2]}}',
    );
  }
  return spec;
}

/** Pass-through keys of a spec (default `["fold"]`). */
export function passThroughKeys(spec: SweepSpec): string[] {
  return spec.passThrough ?? DEFAULT_PASS_THROUGH;
}

/**
 * Expand a spec into its cells, in a stable order (grid axes in the order given, last axis
 * fastest; then explicit cells). Duplicate configurations (same id) appear once.
 */
export async function expandGrid(spec: SweepSpec): Promise<Cell[]> {
  const base = spec.base ?? {};
  const configs: { config: CellConfig; axes: string[] }[] = [];
  if (spec.grid) {
    const axes = Object.keys(spec.grid);
    let combos: CellConfig[] = [{}];
    for (const a of axes) {
      const next: CellConfig[] = [];
      for (const c of combos) for (const v of spec.grid[a]) next.push({ ...c, [a]: v });
      combos = next;
    }
    for (const c of combos) configs.push({ config: { ...base, ...c }, axes });
  }
  for (const c of spec.cells ?? []) {
    configs.push({ config: { ...base, ...c }, axes: Object.keys(c) });
  }
  const pass = new Set(passThroughKeys(spec));
  const seen = new Set<string>();
  const cells: Cell[] = [];
  for (const { config, axes } of configs) {
    const id = await cellId(config);
    if (seen.has(id)) continue;
    seen.add(id);
    const trainConfig: CellConfig = {};
    for (const [k, v] of Object.entries(config)) if (!pass.has(k)) trainConfig[k] = v;
    const label = axes.map((a) => `${a}=${labelValue(config[a])}`).join(" ") || id;
    cells.push({ id, label, config, trainConfig });
  }
  return cells;
}

function labelValue(v: ConfigValue | undefined): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * Parse one `--grid key=v1,v2,…` (or `--set key=value`) argument. Values are numbers when
 * they parse as numbers, `true`/`false`/`null` as JSON, else strings; a value list written as
 * JSON (`hidden=[[64,64],[32,32]]`) is taken as is.
 */
export function parseGridArg(
  arg: string,
  options: { single?: boolean } = {},
): [string, ConfigValue[]] {
  const m = /^([A-Za-z][A-Za-z0-9_-]*)=(.*)$/s.exec(arg);
  if (!m) {
    throw new ConfigError(
      `cannot parse "${arg}"`,
      { parameter: options.single ? "set" : "grid" },
      options.single
        ? "expected key=value, e.g. --set timesteps=4096"
        : "expected key=v1,v2, e.g. --grid seed=0,1,2",
    );
  }
  const key = optionKey(m[1]);
  const text = m[2].trim();
  if (text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${key}: bad JSON list: ${(e as Error).message}`, { parameter: key });
    }
    if (options.single) return [key, [parsed as ConfigValue]];
    if (!Array.isArray(parsed) || parsed.length === 0) {
      throw new ConfigError(`${key}: a JSON value list must be a non-empty array`, {
        parameter: key,
      });
    }
    return [key, parsed as ConfigValue[]];
  }
  const parts = options.single ? [text] : text.split(",").map((x) => x.trim());
  if (parts.some((p) => p === "")) {
    throw new ConfigError(`${key}: empty value in "${text}"`, { parameter: key });
  }
  return [key, parts.map(scalar)];
}

function scalar(s: string): ConfigValue {
  if (s === "true") return true;
  if (s === "false") return false;
  if (s === "null") return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return s;
}
