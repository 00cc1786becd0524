/**
 * `GuardedOptionsEnv`: the options env under the guardrails of `lib/risk`.
 *
 * - **Risk rules** are the options env's own lockouts: the wrapper passes them to each
 *   `reset` (`options.risk`), so the inner env (the caller's, sharing its account) checks every
 *   entry and observes every bar; this wrapper only collects the risk manager's events into
 *   `info.riskEvents`. Without `guard.risk` the env's own `risk` (if any) stays in force.
 * - **Exits**: the ladder runs on the held option's premium (gain = mid / entry − 1, leverage
 *   1, long premium for calls and puts alike), checked on bar t's CLOSE mid before the action
 *   is applied. The env trades whole positions only, so the ladder's lot is the whole position
 *   (`lotSize` = the env's contracts): a take-profit that would exit part of it rounds to 0
 *   lots and is consumed without an order (reported as an event); an order that closes the
 *   position (stop loss, TP5, trailing stop) replaces the agent's action by flat (0), so the
 *   env sells at the bid through its one accounting. With the default 1 contract this is the
 *   ladder's own rule for one indivisible contract.
 *
 * @module
 */
import {
  type ExitLadderConfig,
  ProfitManager,
  type ProfitState,
  type RiskConfig,
  type RiskEvent,
  RiskManager,
} from "../risk/mod.ts";
import { EnvError } from "../util/mod.ts";
import {
  type OptionsEnvInfo,
  type OptionsEnvOptions,
  type OptionsEnvState,
  OptionsTradingEnv,
} from "./options_env.ts";
import type { Box } from "./spaces.ts";
import type { Env, ResetOptions, StepResult } from "./types.ts";

/** Which guardrails wrap the options env. */
export interface OptionsGuardOptions {
  /** Risk rules (the env's lockouts); null/undefined = keep the env's own `risk`. */
  risk?: Partial<RiskConfig> | null;
  /** Exit ladder on the premium; null/undefined = no exits. */
  exits?: Partial<ExitLadderConfig> | null;
}

/** {@link OptionsEnvInfo} plus what the guards did; ONE object reused every step. */
export type GuardedOptionsEnvInfo = OptionsEnvInfo & {
  /** Rule of the ladder exit that flattened this step (`stop_loss`, `tp5`, …), or "". */
  exitRule: string;
  /** Ladder exits this episode. */
  ladderExits: number;
  /** Events (denials, halts, exits) of this step; a shared empty array when none. */
  riskEvents: readonly RiskEvent[];
};

/** A snapshot of a {@link GuardedOptionsEnv}. */
export interface GuardedOptionsEnvState {
  /** Tag checked by {@link GuardedOptionsEnv.restoreState}. */
  kind: "GuardedOptionsEnv";
  /** The inner env's snapshot. */
  inner: OptionsEnvState;
  /** The profit manager's state, or null without exits. */
  exits: ProfitState | null;
  /** Ladder exits this episode. */
  ladderExits: number;
}

const NO_EVENTS: readonly RiskEvent[] = Object.freeze([]);
const SYMBOL = "OPTION";

/** The options env under risk lockouts and the exit ladder (see the module docs). */
export class GuardedOptionsEnv implements Env<Float64Array> {
  /** The wrapped env (its account is the one the guards trade on). */
  readonly env: OptionsTradingEnv;
  /** The inner env's observation space. */
  readonly observationSpace: Box;
  /** The inner env's action space (`Box(−1, 1, [1])`). */
  readonly actionSpace: Box;
  readonly #exitConfig: ExitLadderConfig | null;
  readonly #riskConfig: Partial<RiskConfig> | null;
  readonly #flat = new Float64Array(1);
  readonly #info: GuardedOptionsEnvInfo;
  readonly #result: StepResult;
  #pm: ProfitManager | null = null;
  #ladderExits = 0;

  /**
   * @param opts the options env's options, or a built env to wrap (its account is then
   *   shared: step the wrapper, not the env).
   * @param guard the guardrails.
   */
  constructor(opts: OptionsEnvOptions | OptionsTradingEnv, guard: OptionsGuardOptions) {
    this.env = opts instanceof OptionsTradingEnv ? opts : new OptionsTradingEnv(opts);
    this.#riskConfig = guard.risk ?? null;
    if (this.#riskConfig) new RiskManager(this.#riskConfig); // validate now, not at reset
    this.observationSpace = this.env.observationSpace;
    this.actionSpace = this.env.actionSpace;
    const lot = this.env.contracts;
    this.#exitConfig = guard.exits
      ? { ...new ProfitManager({ ...guard.exits, lotSize: lot }).config } as ExitLadderConfig
      : null;
    this.#info = { ...this.env.info, exitRule: "", ladderExits: 0, riskEvents: NO_EVENTS };
    this.#result = {
      observation: new Float64Array(this.observationSpace.size),
      reward: 0,
      terminated: false,
      truncated: false,
      info: this.#info,
    };
  }

  /** The inner env's account. */
  get account(): OptionsTradingEnv["account"] {
    return this.env.account;
  }
  /** The reused info of the last reset/step. */
  get info(): GuardedOptionsEnvInfo {
    return this.#info;
  }
  /** The episode's profit manager (null without exits). */
  get profitManager(): ProfitManager | null {
    return this.#pm;
  }
  /** Interventions of this episode by rule (the env's risk manager and the ladder). */
  interventionCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of [this.env.riskManager?.state().counts, this.#pm?.state().counts]) {
      for (const [k, v] of Object.entries(c ?? {})) out[k] = (out[k] ?? 0) + v;
    }
    return out;
  }

  /** Start an episode with a fresh ladder (the inner env starts a fresh risk manager). */
  reset(opts: ResetOptions = {}): { observation: Float64Array; info: GuardedOptionsEnvInfo } {
    const risk = this.#riskConfig;
    const r = this.env.reset(risk ? { ...opts, options: { ...opts.options, risk } } : opts);
    this.#pm = this.#exitConfig ? new ProfitManager(this.#exitConfig) : null;
    this.#ladderExits = 0;
    this.#fill("");
    return { observation: r.observation, info: this.#info };
  }

  /** One guarded step (see the module docs). */
  step(action: Float64Array | number): StepResult {
    const env = this.env;
    const acct = env.account;
    const pm = this.#pm;
    let act: Float64Array | number = action;
    let rule = "";
    if (pm) {
      if (acct.direction === 0) {
        if (pm.has(SYMBOL)) pm.removePosition(SYMBOL);
      } else {
        if (!pm.has(SYMBOL)) {
          pm.addPosition({
            symbol: SYMBOL,
            qty: acct.size,
            entryPrice: acct.entryPrice,
            side: "long",
            timeMs: env.info.time,
          });
        }
        const orders = pm.checkExits(SYMBOL, { price: acct.markPrice, timeMs: env.info.time });
        for (const o of orders) {
          if (!o.closesPosition) continue; // rounds to 0 lots: cannot happen with lot = size
          rule = o.rule;
          act = this.#flat;
          this.#ladderExits++;
          pm.removePosition(SYMBOL);
          break;
        }
      }
    }
    const r = env.step(act);
    if (pm && acct.direction === 0 && pm.has(SYMBOL)) pm.removePosition(SYMBOL);
    this.#fill(rule);
    const res = this.#result;
    res.observation = r.observation;
    res.reward = r.reward;
    res.terminated = r.terminated;
    res.truncated = r.truncated;
    return res;
  }

  /** A complete snapshot: the inner env (with its risk manager) and the ladder. */
  cloneState(): GuardedOptionsEnvState {
    return {
      kind: "GuardedOptionsEnv",
      inner: this.env.cloneState(),
      exits: this.#pm?.state() ?? null,
      ladderExits: this.#ladderExits,
    };
  }

  /** Restore a {@link cloneState} snapshot of an env with the same data and guards. */
  restoreState(state: unknown): void {
    const s = state as GuardedOptionsEnvState;
    if (s?.kind !== "GuardedOptionsEnv") {
      throw new EnvError("not a snapshot of a GuardedOptionsEnv", { parameter: "state" });
    }
    this.env.restoreState(s.inner);
    this.#pm = s.exits ? ProfitManager.restore(s.exits) : null;
    this.#ladderExits = s.ladderExits;
    this.#fill("");
  }

  /** The inner env's one-line state plus the ladder's counter. */
  render(): string {
    return `${this.env.render()} | guards: ${this.#ladderExits} ladder exits`;
  }

  #fill(rule: string): void {
    const info = this.#info;
    Object.assign(info, this.env.info);
    info.exitRule = rule;
    info.ladderExits = this.#ladderExits;
    const rm = this.env.riskManager;
    const nr = rm?.queuedEvents ?? 0;
    const np = this.#pm?.queuedEvents ?? 0;
    info.riskEvents = nr + np === 0
      ? NO_EVENTS
      : [...(rm?.takeEvents() ?? []), ...(this.#pm?.takeEvents() ?? [])];
  }
}
