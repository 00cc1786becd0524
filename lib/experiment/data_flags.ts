/**
 * The bring-your-own-data, split, coverage and trading flags of `deno task train` (issue 19),
 * declared once as `parseFlags` specs and mapped onto the {@link RunConfig}'s `data` and
 * `trading` sections. The train CLI spreads {@link TRAIN_DATA_FLAGS} into its flag table and
 * hands the given values (from the command line or a `--config` file, by flag name) to
 * {@link dataFlagOverrides}; a sweep cell's `fold`, `split`, `fee`, … keys arrive the same way.
 *
 * | flag                  | RunConfig path            | meaning                                            |
 * | --------------------- | ------------------------- | -------------------------------------------------- |
 * | `--data`              | `data.source`             | bars file/folder or `synthetic`                    |
 * | `--columns`           | `data.columns`            | bars column mapping                                |
 * | `--oi`                | `data.oi`                 | open-interest file                                 |
 * | `--oi-columns`        | `data.oiColumns`          | its mapping (`time=t,oi=oi,at=end`)                |
 * | `--funding`           | `data.funding`            | funding file                                       |
 * | `--funding-columns`   | `data.fundingColumns`     | its mapping                                        |
 * | `--funding-scale`     | `data.fundingScale`       | multiply funding rates (8 for rate ÷ 8 files)      |
 * | `--symbol`            | `data.symbol`             | symbol shown and recorded                          |
 * | `--interval`          | `data.interval`           | bar interval (`5m`)                                |
 * | `--split`             | `data.split`              | fractions or UTC dates (`parseSplitSpec`)          |
 * | `--purge`/`--embargo` | `data.purge`/`.embargo`   | bars cut before validation and test                |
 * | `--fold`/`--folds`    | `data.fold`/`.folds`      | walk-forward fold k of K (`resolveSplitRanges`)    |
 * | `--features`          | `data.excludeFeatures`    | `-oi`, `-funding`, `-oi,-funding` or `all`         |
 * | `--max-missing-share` | `data.maxMissingShare`    | coverage policy limit on the training split (0–1)  |
 * | `--fee`               | `trading.feeRate`         | taker fee, fraction (0.0004 = 0.04 %)              |
 * | `--slippage`          | `trading.slippage`        | fraction of price                                  |
 * | `--leverage`          | `trading.leverage`        | maximum leverage                                   |
 * | `--balance`           | `trading.initialBalance`  | starting balance, quote currency                   |
 * | `--signals-cache`     | (run control)             | signals cache folder, or `off`                     |
 *
 * @module
 */
import { DATA_FLAG_OPTIONS } from "../data/mod.ts";
import { parseFeatureSelection } from "../features/mod.ts";
import {
  checkRange,
  ConfigError,
  convertFlag,
  type FlagSpec,
  resolveUserPath,
} from "../util/mod.ts";
import { parseSplitSpec, type RunConfigOverrides, runDefaults } from "./config.ts";
import { DEFAULT_SIGNAL_CACHE_DIR } from "../signals/mod.ts";

/** Declarations of the train CLI's data/split/coverage/trading flags (for `parseFlags`). */
export const TRAIN_DATA_FLAGS = {
  ...DATA_FLAG_OPTIONS,
  split: {
    type: "string",
    description: "fractions train,validation[,test] (0.6,0.15,0.25) or UTC dates " +
      "[TRAIN_START,]VALIDATION_START,TEST_START[,TEST_END] (2024-01-01,2024-07-01)",
  },
  purge: {
    type: "integer",
    range: { min: 0 },
    description: "bars cut after each training range (label look-ahead)",
  },
  embargo: {
    type: "integer",
    range: { min: 0 },
    description: "further bars cut after the purge",
  },
  fold: {
    type: "integer",
    range: { min: 0 },
    description: "walk-forward fold 0…folds−1 (test window k of --folds after the first half)",
  },
  folds: { type: "integer", range: { min: 1 }, description: "number of walk-forward folds" },
  features: {
    type: "string",
    description: "drop optional feature families: -oi, -funding, -oi,-funding (or all)",
  },
  "max-missing-share": {
    type: "number",
    range: { min: 0, max: 1 },
    description: "refuse when OI/funding is missing on more than this share of training bars",
  },
  fee: {
    type: "number",
    range: { min: 0, max: 1, exclusiveMax: true },
    description: "taker fee, fraction of notional (0.0004 = 0.04 %)",
  },
  slippage: {
    type: "number",
    range: { min: 0, max: 1, exclusiveMax: true },
    description: "slippage, fraction of price",
  },
  leverage: {
    type: "number",
    range: { min: 0, exclusiveMin: true },
    description: "maximum leverage",
  },
  balance: {
    type: "number",
    range: { min: 0, exclusiveMin: true },
    description: "starting balance (quote currency, USDT)",
  },
  "signals-cache": {
    type: "string",
    description: "signals cache folder, or off (default data/cache/signals)",
  },
} as const satisfies Record<string, FlagSpec>;

/** Names of {@link TRAIN_DATA_FLAGS}. */
export type TrainDataFlag = keyof typeof TRAIN_DATA_FLAGS;

/** Whether `name` is one of {@link TRAIN_DATA_FLAGS}. */
export function isTrainDataFlag(name: string): name is TrainDataFlag {
  return Object.hasOwn(TRAIN_DATA_FLAGS, name);
}

const PATHS: Record<Exclude<TrainDataFlag, "signals-cache">, string> = {
  data: "data.source",
  columns: "data.columns",
  oi: "data.oi",
  "oi-columns": "data.oiColumns",
  funding: "data.funding",
  "funding-columns": "data.fundingColumns",
  "funding-scale": "data.fundingScale",
  symbol: "data.symbol",
  interval: "data.interval",
  split: "data.split",
  purge: "data.purge",
  embargo: "data.embargo",
  fold: "data.fold",
  folds: "data.folds",
  features: "data.excludeFeatures",
  "max-missing-share": "data.maxMissingShare",
  fee: "trading.feeRate",
  slippage: "trading.slippage",
  leverage: "trading.leverage",
  balance: "trading.initialBalance",
};

/** The `RunConfig` path a data flag sets (undefined for run-control flags). */
export function trainDataFlagPath(name: TrainDataFlag): string | undefined {
  return name === "signals-cache" ? undefined : PATHS[name];
}

/** What {@link dataFlagOverrides} returns. */
export interface DataFlagOverrides {
  /** `data` and `trading` overrides of the run configuration. */
  overrides: RunConfigOverrides;
  /** Signals cache folder (`null` = off); absent when not given. */
  signalsCache?: string | null;
}

/**
 * Map given data flags (by flag name; strings from the command line, or JSON values from a
 * `--config` file) onto `RunConfig` overrides. Every value is checked with the flag's range
 * or parser; errors are ConfigErrors starting with the flag (`--fee must be ≥ 0 …`).
 * Relative paths are resolved from the directory the command was started in.
 */
export function dataFlagOverrides(
  values: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>,
  where: { file?: string } = {},
): DataFlagOverrides {
  const entries = values instanceof Map
    ? [...values.entries()]
    : Object.entries(values as Record<string, unknown>);
  const data: Record<string, unknown> = {};
  const trading: Record<string, unknown> = {};
  const out: DataFlagOverrides = { overrides: {} };
  for (const [name, raw] of entries) {
    if (raw === undefined) continue;
    if (!isTrainDataFlag(name)) {
      throw new ConfigError(`--${name} is not a data flag`, { ...where, parameter: name });
    }
    const v = convertValue(name, raw, where);
    if (name === "signals-cache") {
      out.signalsCache = v === "off" || v === "none" ? null : resolveUserPath(String(v));
      continue;
    }
    const [section, key] = PATHS[name].split(".");
    (section === "data" ? data : trading)[key] = v;
  }
  if (Object.keys(data).length) out.overrides.data = data;
  if (Object.keys(trading).length) out.overrides.trading = trading;
  return out;
}

function convertValue(name: TrainDataFlag, raw: unknown, where: { file?: string }): unknown {
  const spec: FlagSpec = TRAIN_DATA_FLAGS[name];
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ConfigError && where.file) {
        throw new ConfigError(e.message, { ...where, parameter: name }, e.hint);
      }
      throw e;
    }
  };
  return wrap(() => {
    if (name === "features") {
      const text = Array.isArray(raw)
        ? raw.map((x) => (String(x).startsWith("-") ? String(x) : `-${x}`)).join(",")
        : String(raw);
      return parseFeatureSelection(text).exclude;
    }
    if (name === "split") {
      if (raw && typeof raw === "object" && !Array.isArray(raw)) return raw; // a SplitConfig
      return parseSplitSpec(String(raw));
    }
    if (spec.type === "number" || spec.type === "integer") {
      if (typeof raw === "number") {
        if (spec.type === "integer" && !Number.isInteger(raw)) {
          throw new ConfigError(`--${name} must be an integer (got ${JSON.stringify(raw)})`);
        }
        checkRange(name, raw, spec.range ?? {});
        return raw;
      }
      return convertFlag(name, spec, String(raw));
    }
    if (raw === null) return null;
    const text = String(raw);
    if (text.trim() === "") throw new ConfigError(`--${name} needs a value`);
    if ((name === "data" || name === "oi" || name === "funding") && text !== "synthetic") {
      return resolveUserPath(text);
    }
    return text;
  });
}

/**
 * `--help` lines of the data flags: one line per flag starting `  --name` (the sweep reads
 * the train CLI's option names from these lines), then the rules that need words.
 */
export function trainDataHelp(): string {
  const d = runDefaults().data;
  const t = runDefaults().trading;
  const sp = d.split.by === "fraction"
    ? `${d.split.train},${d.split.validation},${d.split.test}`
    : "dates";
  const cache = DEFAULT_SIGNAL_CACHE_DIR.replace(/^.*\/(data\/cache\/signals)$/, "$1");
  const rows: [string, string, string][] = [
    [
      "data",
      "<path>",
      `bars: Binance klines / OHLCV CSV / .zip / folder / .parquet [default: ${d.source}]`,
    ],
    [
      "columns",
      "k=v,…",
      "bars mapping: time, at=open|end, unit=s|ms|us|ns, open, high, low, close, volume",
    ],
    ["oi", "<file>", "open-interest file (e.g. t,oi,oi_usd; layout detected and logged)"],
    ["oi-columns", "k=v,…", "open-interest mapping, e.g. time=t,oi=oi,at=end"],
    ["funding", "<file>", "funding file (e.g. timestamp_ms,funding_rate)"],
    ["funding-columns", "k=v,…", "funding mapping, e.g. time=timestamp_ms,rate=funding_rate"],
    [
      "funding-scale",
      "<x>",
      `multiply funding rates by x (8 for a file holding the 8-hour rate ÷ 8) [default: ${d.fundingScale}]`,
    ],
    ["symbol", "<name>", "symbol (default from the file name or a symbol column)"],
    ["interval", "<5m|1h|…>", "bar interval (default from the file name or the spacing)"],
    [
      "split",
      "<spec>",
      `fractions 0.6,0.15,0.25 or UTC dates [TRAIN_START,]VAL_START,TEST_START[,TEST_END] [default: ${sp}]`,
    ],
    [
      "purge",
      "<bars>",
      `bars cut before validation and before test (label look-ahead) [default: ${d.purge}]`,
    ],
    ["embargo", "<bars>", `further bars cut after the purge [default: ${d.embargo}]`],
    [
      "fold",
      "<k>",
      `train/validate/test on walk-forward fold k (0…folds−1) [default: ${d.fold ?? "none"}]`,
    ],
    ["folds", "<K>", `number of walk-forward folds [default: ${d.folds}]`],
    [
      "features",
      "-oi|-funding",
      "drop optional feature families (neutral, flagged unavailable) [default: all]",
    ],
    [
      "max-missing-share",
      "<0-1>",
      `refuse when OI/funding is missing on more than this share of training bars [default: ${d.maxMissingShare}]`,
    ],
    ["fee", "<fraction>", `taker fee per fill, fraction of notional [default: ${t.feeRate}]`],
    ["slippage", "<fraction>", `slippage per fill, fraction of price [default: ${t.slippage}]`],
    ["leverage", "<x>", `maximum leverage [default: ${t.leverage}]`],
    ["balance", "<USDT>", `starting balance, quote currency [default: ${t.initialBalance}]`],
    [
      "signals-cache",
      "<dir|off>",
      `signals cache folder; off = always retrain [default: ${cache}]`,
    ],
  ];
  return [
    ...rows.map(([n, a, h]) => `${`  --${n} ${a}`.padEnd(38)} ${h}`),
    "  Dates are UTC; a bar belongs to the split whose start is the latest at or before its open",
    "  time. With --fold k: fold k tests on the k-th of --folds equal windows after the first",
    "  half of the bars and trains on everything before it (validation = its last part, in the",
    "  --split train:validation ratio); --purge + --embargo bars are cut before validation and test.",
    "  Coverage of OI and funding per split is printed; a family missing on more than",
    "  --max-missing-share of the training split is refused before any training, naming the",
    "  remedies (--features -oi, or --split dates inside the covered window).",
  ].join("\n");
}

/**
 * `--features -oi` → `--features=-oi` (and the same for any data flag — all take a value —
 * whose value starts with a single dash), so the strict flag parser does not read the value as an unknown short option.
 */
export function joinDataFlagValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)$/.exec(argv[i]);
    const next = argv[i + 1];
    if (
      m && isTrainDataFlag(m[1]) && next !== undefined && /^-(?!-)/.test(next)
    ) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}
