/**
 * `guardEnv`: put any trading env under the guardrails of `lib/risk` — THE one way the risk
 * rules and the exit ladder get into an env, used by the episode loop (`runEpisode`'s `risk` /
 * `exits` options, so every backtest and evaluation) and by the training setup (a run with
 * `risk` / `exits` in its config trains and validates in the guarded env).
 *
 * @module
 */
import {
  exitsFromSpec,
  type ExitSpec,
  riskFromSpec,
  type RiskSpec,
  sessionCalendarFor,
} from "../risk/mod.ts";
import { ConfigError } from "../util/mod.ts";
import { FuturesTradingEnv } from "./futures_env.ts";
import { type GuardContextSeries, GuardedFuturesEnv } from "./guarded_env.ts";
import { GuardedOptionsEnv } from "./guarded_options_env.ts";
import { OptionsTradingEnv } from "./options_env.ts";
import type { Env } from "./types.ts";

/** Which guardrails to put around an env (plain fields, so they fit any options object). */
export interface EnvGuards {
  /** Risk rules: `"spec"`, `"off"` (default: none), a partial config or a RiskManager. */
  risk?: RiskSpec | null;
  /** Exit ladder: `"spec"`, `"off"` (default: none), a partial ladder or a ProfitManager. */
  exits?: ExitSpec | null;
  /** Futures only: gain basis of the ladder (`margin` default, or `price`). */
  exitGainBasis?: "margin" | "price";
  /** Futures only: IV rank / VIX / spread per bar for the lockouts. */
  context?: GuardContextSeries;
  /** Futures only: close an open position while a latched halt is on. Default false. */
  flattenOnHalt?: boolean;
}

/** Whether `guards` asks for anything (a risk or exit spec other than undefined/null/"off"). */
export function hasGuards(guards: EnvGuards | undefined): boolean {
  if (!guards) return false;
  const on = (s: unknown) => s !== undefined && s !== null && s !== "off";
  return on(guards.risk) || on(guards.exits);
}

/**
 * `env` under `guards`: a {@link FuturesTradingEnv} is wrapped in a {@link GuardedFuturesEnv}
 * and an {@link OptionsTradingEnv} in a {@link GuardedOptionsEnv}, both sharing the env's
 * account (the caller's env reads the guarded episode's results). Without guards (`hasGuards` false) the env is
 * returned as is. A session calendar the risk spec leaves open is the env's market's. Throws a
 * {@link ConfigError} for an env that is already guarded or of another kind, and for unknown
 * preset names (parameter `risk` / `exits`).
 */
export function guardEnv<E extends Env>(env: E, guards: EnvGuards | undefined): E | Env {
  if (!hasGuards(guards)) return env;
  const g = guards!;
  if (env instanceof GuardedFuturesEnv || env instanceof GuardedOptionsEnv) {
    throw new ConfigError(
      "the env is already guarded (its risk/exits came from its setup)",
      { parameter: "risk" },
      "pass risk/exits either to the setup or to the episode, not both",
    );
  }
  if (env instanceof FuturesTradingEnv) {
    const calendar = env.options.calendar ?? "crypto";
    const risk = riskFromSpec(g.risk, {});
    return new GuardedFuturesEnv(env, {
      risk: risk && { ...risk, session: risk.session ?? sessionCalendarFor(calendar) },
      exits: exitsFromSpec(g.exits),
      exitGainBasis: g.exitGainBasis,
      context: g.context,
      flattenOnHalt: g.flattenOnHalt,
    });
  }
  if (env instanceof OptionsTradingEnv) {
    return new GuardedOptionsEnv(env, {
      risk: riskFromSpec(g.risk, { calendar: "us_equity" }),
      exits: exitsFromSpec(g.exits),
    });
  }
  throw new ConfigError(
    `risk/exits guard a FuturesTradingEnv or an OptionsTradingEnv, not a ${
      (env as object).constructor?.name ?? typeof env
    }`,
    { parameter: "risk" },
  );
}
