/**
 * Command-line flags for every `deno task`: one declaration per flag (type, range, choices,
 * help text), one parser, one message format. A bad flag never trains, never downloads and
 * never prints a raw stack trace: it is refused with
 * `error: --lr must be > 0 (got -1)` before any work starts.
 *
 * Numbers are parsed strictly: `1e3`, `0x10`, `12abc` and the empty string are refused for
 * integer flags (an analyst who typed `1e3` steps probably meant something else; say it
 * plainly), decimal and exponent notation is accepted for real-valued flags.
 *
 * Relative paths a user types are resolved from the directory the command was started in:
 * `deno task` runs from the project root but records the caller's directory in `INIT_CWD`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "./errors.ts";

/** A numeric range; every bound optional. */
export interface FlagRange {
  /** Smallest allowed value (inclusive unless `exclusiveMin`). */
  min?: number;
  /** Largest allowed value (inclusive unless `exclusiveMax`). */
  max?: number;
  /** `min` itself is refused (`> min`). */
  exclusiveMin?: boolean;
  /** `max` itself is refused (`< max`). */
  exclusiveMax?: boolean;
}

/** One flag's declaration. */
export type FlagSpec =
  & { description: string; short?: string }
  & (
    | { type: "boolean"; default?: boolean }
    | { type: "string"; default?: string; choices?: readonly string[]; multiple?: false }
    | { type: "string"; default?: string[]; choices?: readonly string[]; multiple: true }
    | { type: "number"; default?: number; range?: FlagRange }
    | { type: "integer"; default?: number; range?: FlagRange }
  );

/** The parsed value type of a flag declaration. */
export type FlagValue<S extends FlagSpec> = S extends { type: "boolean" } ? boolean
  : S extends { multiple: true } ? string[]
  : S extends { type: "string" } ? (S extends { default: string } ? string : string | undefined)
  : S extends { default: number } ? number
  : number | undefined;

/** Parsed flags: one typed value per declared flag, plus positional arguments. */
export type ParsedFlags<T extends Record<string, FlagSpec>> = {
  values: { [K in keyof T]: FlagValue<T[K]> };
  positionals: string[];
  /** Names of the flags the user actually gave (not filled from defaults). */
  given: Set<string>;
};

/** Options of {@link parseFlags}. */
export interface ParseFlagsOptions {
  /** The usage line(s) shown with every flag error and by `--help`. */
  usage: string;
  /** Whether positional arguments are allowed (default false: a stray word is an error). */
  allowPositionals?: boolean;
}

/**
 * Parse `args` against declared flags: unknown flags, missing values, non-numbers, values out
 * of range and values outside `choices` all become a {@link ConfigError} whose message reads
 * `--name must be … (got …)`; `runCli` prints it as `error: …` and exits 2.
 *
 * @example
 * ```ts
 * const { values } = parseFlags(["--lr", "0.001"], {
 *   lr: { type: "number", range: { min: 0, exclusiveMin: true }, description: "learning rate" },
 * }, { usage: "usage: train [--lr X]" });
 * values.lr; // 0.001
 * ```
 */
export function parseFlags<T extends Record<string, FlagSpec>>(
  args: readonly string[],
  spec: T,
  options: ParseFlagsOptions,
): ParsedFlags<T> {
  const parseSpec: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const [name, s] of Object.entries(spec)) {
    parseSpec[name] = { type: s.type === "boolean" ? "boolean" : "string" };
    if (s.type === "string" && s.multiple) parseSpec[name].multiple = true;
    if (s.short) parseSpec[name].short = s.short;
  }
  let raw: {
    values: Record<string, string | boolean | string[] | undefined>;
    positionals: string[];
  };
  try {
    raw = parseArgs({
      args: joinNegativeValues(args, spec),
      options: parseSpec,
      allowPositionals: options.allowPositionals ?? false,
      strict: true,
    }) as typeof raw;
  } catch (e) {
    throw new ConfigError(describeParseError(e), {}, options.usage);
  }
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [name, s] of Object.entries(spec)) {
    const v = raw.values[name];
    if (v !== undefined) given.add(name);
    values[name] = v === undefined
      ? (s.type === "string" && s.multiple ? [...(s.default ?? [])] : s.default)
      : Array.isArray(v)
      ? v.map((x) => convertFlag(name, s, x))
      : convertFlag(name, s, v);
  }
  return {
    values: values as ParsedFlags<T>["values"],
    positionals: raw.positionals,
    given,
  };
}

/** Convert and check one given flag value. Exported for flags parsed by other means. */
export function convertFlag(name: string, spec: FlagSpec, value: string | boolean): unknown {
  if (spec.type === "boolean") return value;
  const text = String(value);
  if (spec.type === "string") {
    if (spec.choices && !spec.choices.includes(text)) {
      throw flagError(name, `must be one of ${spec.choices.join(", ")}`, text);
    }
    return text;
  }
  const n = spec.type === "integer" ? parseStrictInteger(text) : parseStrictNumber(text);
  if (n === null) {
    throw flagError(
      name,
      spec.type === "integer" ? "must be an integer" : "must be a number",
      text,
    );
  }
  checkRange(name, n, spec.range ?? {});
  return n;
}

/**
 * Check a number against a range with the flags' message format; also used for numeric
 * options that arrive from a config file or a preset rather than the command line.
 */
export function checkRange(name: string, value: number, range: FlagRange): void {
  if (!Number.isFinite(value)) throw flagError(name, "must be a finite number", String(value));
  if (!inRange(value, range)) {
    throw flagError(name, `must be ${describeRange(range)}`, String(value));
  }
}

/** Whether `value` is a finite number inside `range`. */
export function inRange(value: number, range: FlagRange): boolean {
  const { min, max, exclusiveMin, exclusiveMax } = range;
  if (!Number.isFinite(value)) return false;
  if (min !== undefined && (exclusiveMin ? value <= min : value < min)) return false;
  if (max !== undefined && (exclusiveMax ? value >= max : value > max)) return false;
  return true;
}

/** A range in words: `> 0`, `≥ 0 and ≤ 1`, `> 0 and < 1`, or `a number` when unbounded. */
export function describeRange(range: FlagRange): string {
  const { min, max, exclusiveMin, exclusiveMax } = range;
  const lower = min === undefined ? "" : `${exclusiveMin ? ">" : "≥"} ${min}`;
  const upper = max === undefined ? "" : `${exclusiveMax ? "<" : "≤"} ${max}`;
  return [lower, upper].filter((x) => x).join(" and ") || "a number";
}

/**
 * Resolve a path the user typed: relative paths from the directory the command was started
 * in (`INIT_CWD`, set by `deno task`), else from the process's working directory.
 */
export function resolveUserPath(path: string): string {
  if (isAbsolute(path)) return path;
  return resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), path);
}

/** Render the flag table for `--help`: one line per flag with its default. */
export function formatFlagHelp(spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const head = `  --${name}${s.type === "boolean" ? "" : " <" + s.type + ">"}`;
    const choices = s.type === "string" && s.choices ? ` (${s.choices.join("|")})` : "";
    const def = s.default === undefined || s.default === false ? "" : ` [default ${s.default}]`;
    return `${head.padEnd(30)} ${s.description}${choices}${def}`;
  });
  return rows.join("\n");
}

/** `--x -5` → `--x=-5` for value flags, so a negative number reaches the range check. */
function joinNegativeValues(args: readonly string[], spec: Record<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([^=]+)$/.exec(args[i]);
    const s = m ? spec[m[1]] : undefined;
    if (s && s.type !== "boolean" && i + 1 < args.length && /^-[\d.]/.test(args[i + 1])) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

function flagError(name: string, rule: string, got: string): ConfigError {
  const flag = name.startsWith("-") ? name : `--${name}`;
  return new ConfigError(`${flag} ${rule} (got ${JSON.stringify(got)})`);
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseStrictInteger(text: string): number | null {
  const t = text.trim();
  if (!INTEGER.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

function parseStrictNumber(text: string): number | null {
  const t = text.trim();
  return DECIMAL.test(t) ? Number(t) : null;
}

function describeParseError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code;
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unknown flag ${unknown[1]}`;
  const missing = /Option '([^']+)' argument missing/.exec(msg);
  if (missing) return `${missing[1].split(",").pop()!.trim().split(" ")[0]} needs a value`;
  const positional = /Unexpected argument '([^']+)'/.exec(msg);
  if (positional) return `unexpected argument "${positional[1]}"`;
  return code ? `${msg.replace(/\. To specify.*$/, "")}` : msg;
}

/**
 * {@link parseFlags} for top-level scripts that do not run inside `runCli` (benchmarks): a bad
 * flag prints `error: …` and exits with code 2 instead of throwing.
 */
export function parseFlagsOrExit<T extends Record<string, FlagSpec>>(
  args: readonly string[],
  spec: T,
  options: ParseFlagsOptions,
): ParsedFlags<T> {
  try {
    return parseFlags(args, spec, options);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
}
