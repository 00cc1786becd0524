/**
 * Named presets of the guardrails, for command-line flags such as `--risk spec --exits off`:
 * `spec` is the specification's values, `off` switches everything off.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import type { MarketCalendar } from "../util/mod.ts";
import { DEFAULT_RISK_CONFIG, RISK_RULES, type RiskConfig } from "./risk_manager.ts";
import { sessionCalendarFor } from "./session.ts";
import { type ExitLadderConfig, SPEC_EXIT_LADDER } from "./profit_manager.ts";

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
