/**
 * Named presets of the guardrails, for command-line flags such as `--risk spec --exits off`:
 * `spec` is the specification's values, `off` switches everything off.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import type { MarketCalendar } from "../util/mod.ts";
import { DEFAULT_RISK_CONFIG, RISK_RULES, type RiskConfig, RiskManager } from "./risk_manager.ts";
import { sessionCalendarFor } from "./session.ts";
import { type ExitLadderConfig, ProfitManager, SPEC_EXIT_LADDER } from "./profit_manager.ts";

/** Names of the presets. */
export const RISK_PRESETS = ["spec", "off"] as const;

/** A preset's name. */
export type RiskPresetName = typeof RISK_PRESETS[number];

function known(name: string, parameter: string): RiskPresetName {
  if (!(RISK_PRESETS as readonly string[]).includes(name)) {
    throw new ConfigError(
      `unknown preset "${name}"`,
      { parameter },
      `use one of: ${RISK_PRESETS.join(", ")}`,
    );
  }
  return name as RiskPresetName;
}

/**
 * The risk rules of a preset: `spec` = the limits of {@link DEFAULT_RISK_CONFIG} (2 % daily
 * loss, 3 losses in a row, 10 % drawdown, IV rank 95, VIX 32, spread 5 %, kill switch);
 * `off` = the same limits with every rule disabled. The session calendar is left to the
 * consumer (the RiskManager's default is New York; the guarded env uses its market's
 * calendar) unless `options.calendar` names the market (`us_equity` → New York days,
 * `crypto` → UTC days).
 */
export function riskPreset(
  name: string,
  options: { calendar?: MarketCalendar } = {},
): Partial<RiskConfig> {
  const { session: _session, ...limits } = structuredClone(DEFAULT_RISK_CONFIG) as RiskConfig;
  const c: Partial<RiskConfig> = limits;
  if (known(name, "risk") === "off") c.disabled = [...RISK_RULES];
  if (options.calendar !== undefined) c.session = sessionCalendarFor(options.calendar);
  return c;
}

/**
 * The exit ladder of a preset: `spec` = {@link SPEC_EXIT_LADDER}; `off` = no take-profits,
 * no stop loss, no trailing stop (the manager then never emits an order).
 */
export function exitPreset(name: string): ExitLadderConfig {
  const c = structuredClone(SPEC_EXIT_LADDER) as ExitLadderConfig;
  if (known(name, "exits") === "off") {
    c.levels = [];
    c.stopLoss = null;
    c.trailing = null;
  }
  return c;
}

/**
 * How a caller names the risk rules: a preset name (`"spec"`, `"off"`), a partial
 * {@link RiskConfig}, or a {@link RiskManager} whose config is used (its state is not).
 */
export type RiskSpec = RiskPresetName | Partial<RiskConfig> | RiskManager;

/** How a caller names the exit ladder: a preset name, a partial ladder, or a {@link ProfitManager}. */
export type ExitSpec = RiskPresetName | Partial<ExitLadderConfig> | ProfitManager;

/**
 * The risk rules a {@link RiskSpec} names, or null when there are none to enforce (undefined,
 * null or `"off"`: a guard is not worth wrapping). A config object is returned as given (it is
 * validated by the consumer's `RiskManager`), so `riskPreset("off")` still wraps with every
 * rule disabled. Unknown names throw a {@link ConfigError} with `parameter` "risk".
 */
export function riskFromSpec(
  spec: RiskSpec | null | undefined,
  options: { calendar?: MarketCalendar } = {},
): Partial<RiskConfig> | null {
  if (spec === undefined || spec === null) return null;
  if (typeof spec === "string") {
    return known(spec, "risk") === "off" ? null : riskPreset(spec, options);
  }
  if (spec instanceof RiskManager) return structuredClone(spec.config) as RiskConfig;
  if (typeof spec !== "object" || Array.isArray(spec)) {
    throw new ConfigError(`risk must be a preset name or a config object, got ${typeof spec}`, {
      parameter: "risk",
    }, `use one of: ${RISK_PRESETS.join(", ")}`);
  }
  return spec;
}

/** The exit ladder an {@link ExitSpec} names, or null for none (see {@link riskFromSpec}). */
export function exitsFromSpec(
  spec: ExitSpec | null | undefined,
): Partial<ExitLadderConfig> | null {
  if (spec === undefined || spec === null) return null;
  if (typeof spec === "string") return known(spec, "exits") === "off" ? null : exitPreset(spec);
  if (spec instanceof ProfitManager) return structuredClone(spec.config) as ExitLadderConfig;
  if (typeof spec !== "object" || Array.isArray(spec)) {
    throw new ConfigError(`exits must be a preset name or a config object, got ${typeof spec}`, {
      parameter: "exits",
    }, `use one of: ${RISK_PRESETS.join(", ")}`);
  }
  return spec;
}
