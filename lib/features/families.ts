/**
 * Feature families and the `--features` selection (`-oi`, `-funding`, `-oi,-funding`, `all`).
 *
 * The env reads its nine features by name, so an excluded family is not removed from the
 * matrix: its columns hold their documented neutral value (0) on every bar and the matrix's
 * availability flag for it is false — exactly as if the data had no OI (or funding). The
 * availability flags stay in the {@link FeatureMatrix} (and so in what the env and the run
 * manifest see); only the optional families `oi` and `funding` can be excluded.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/** Feature families. */
export type FeatureFamily = "price" | "volume" | "oi" | "funding";

/** Columns of each family (every column of `FEATURE_INFO` belongs to exactly one). */
export const FEATURE_FAMILIES: Readonly<Record<FeatureFamily, readonly string[]>> = {
  price: [
    "return_20",
    "atr_14",
    "natr",
    "rsi_14",
    "bb_position",
    "return_1",
    "return_5",
    "realized_vol_20",
    "macd_hist_norm",
    "ema_slope_20",
  ],
  volume: ["volume_ratio"],
  oi: ["oi_change_20", "oi_price_divergence_20"],
  funding: ["funding_rate"],
};

/** Families that may be excluded (the env needs price and volume). */
export const OPTIONAL_FAMILIES: readonly FeatureFamily[] = ["oi", "funding"];

/** A resolved `--features` selection. */
export interface FeatureSelection {
  /** Excluded optional families, sorted. */
  exclude: FeatureFamily[];
}

/**
 * Parse a `--features` value: comma-separated `-family` entries (`-oi`, `-funding`), or
 * `all` (nothing excluded). Throws a ConfigError starting `--features` for anything else.
 */
export function parseFeatureSelection(text: string | undefined): FeatureSelection {
  if (text === undefined || text.trim() === "" || text.trim() === "all") return { exclude: [] };
  const exclude = new Set<FeatureFamily>();
  for (const raw of text.split(",")) {
    const part = raw.trim();
    const fam = part.startsWith("-") ? part.slice(1) : "";
    if (!(OPTIONAL_FAMILIES as readonly string[]).includes(fam)) {
      throw new ConfigError(
        `--features: cannot parse "${part}"`,
        { parameter: "--features" },
        `use -oi, -funding or both (-oi,-funding); only ${
          OPTIONAL_FAMILIES.join(", ")
        } can be dropped`,
      );
    }
    exclude.add(fam as FeatureFamily);
  }
  return { exclude: [...exclude].sort() };
}

/** The family of a feature column (throws a ConfigError for an unknown name). */
export function familyOf(name: string): FeatureFamily {
  for (const [f, cols] of Object.entries(FEATURE_FAMILIES)) {
    if (cols.includes(name)) return f as FeatureFamily;
  }
  throw new ConfigError(`unknown feature "${name}"`, { parameter: "features" });
}
