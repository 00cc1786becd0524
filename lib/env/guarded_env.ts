/**
 * `GuardedFuturesEnv`: the futures env under the guardrails of `lib/risk`, so an agent can be
 * trained and evaluated with the risk manager and the exit ladder in force.
 *
 * ## What happens in one step (decision at bar t's close, like every env order)
 * 1. **Sync**: the profit manager follows the account's position (a new entry, a flip or a
 *    scale-in starts a fresh ladder from the account's average entry; the agent's own
 *    SCALE_OUT shrinks the managed size).
 * 2. **Observe**: the risk manager takes the equity at bar t's close (daily loss, drawdown).
 * 3. **Exits**: the ladder is checked on bar t's CLOSE (the env sees closes only: a level
 *    touched intrabar and left before the close is not seen) and fills at that close through
 *    the account's one accounting, with slippage and fees: a partial take-profit is
 *    `Account.reduce`; an exit of the whole position replaces the agent's action by EXIT, so
 *    the env records the trade (exit reason `exit` in the ledger; the rule is in `info`).
 * 4. **Risk**: an ENTER_LONG / ENTER_SHORT / SCALE_IN that would execute is checked with
 *    {@link RiskManager.checkTrade}; a denied one becomes HOLD. EXIT and SCALE_OUT reduce
 *    exposure and are always allowed. With `flattenOnHalt`, a latched halt (kill switch, daily
 *    loss, loss streak, drawdown) also closes an open position.
 * 5. The inner env steps; a trade it closed is recorded with {@link
 *    RiskManager.recordTradeClosed} (loss streak) and the new equity observed, both at the close
 *    of bar t+1.
 *
 * Every intervention is counted and reported in the step's `info` (`riskEvents` holds this
 * step's events). The managers start fresh at each `reset` (one episode = one account).
 * Sessions default to the env's market calendar: UTC days for `crypto`, New York days for
 * `us_equity`. Exit gains default to the return on margin (`leverage × price return`, what an
 * exchange shows as a futures position's PnL %); `exitGainBasis: "price"` uses the price return.
 *
 * @module
 */
import type { FeatureMatrix } from "../features/mod.ts";
import {
  type ExitLadderConfig,
  ProfitManager,
  type ProfitState,
  type RiskConfig,
  type RiskContext,
  type RiskEvent,
  RiskManager,
  type RiskState,
  sessionCalendarFor,
} from "../risk/mod.ts";
import { ExitCode } from "../trading/mod.ts";
import { EnvError } from "../util/mod.ts";
import { Action } from "./policy.ts";
import {
  type FuturesEnvInfo,
  type FuturesEnvOptions,
  type FuturesEnvState,
  FuturesTradingEnv,
} from "./futures_env.ts";
import type { Box, Discrete } from "./spaces.ts";
import type { Env, ResetOptions, StepResult } from "./types.ts";

/** Market context series for the lockout rules, aligned with the market's bars (NaN = unknown). */
export interface GuardContextSeries {
  /** IV rank, percent points (0–100). */
  ivRank?: Float64Array;
  /** VIX, index points. */
  vix?: Float64Array;
  /** Bid-ask spread, fraction of mid. */
  spreadFraction?: Float64Array;
}

/** Which guardrails wrap the env. */
export interface GuardOptions {
  /** Risk rules (e.g. `riskPreset("spec")`); null/undefined = no risk manager. */
  risk?: Partial<RiskConfig> | null;
  /** Exit ladder (e.g. `exitPreset("spec")`); null/undefined = no exits. */
  exits?: Partial<ExitLadderConfig> | null;
  /** Gain basis of the ladder: `margin` (default, leverage × price return) or `price`. */
  exitGainBasis?: "margin" | "price";
  /** IV rank / VIX / spread per bar for the lockouts (absent = those rules do not apply). */
  context?: GuardContextSeries;
  /** Close an open position while a latched halt is on. Default false. */
  flattenOnHalt?: boolean;
}

/** {@link FuturesEnvInfo} plus what the guards did; ONE object reused every step. */
export type GuardedEnvInfo = FuturesEnvInfo & {
  /** The agent's action before the guards (−1 after reset). */
  requestedAction: number;
  /** 1 when the risk manager turned the agent's action into HOLD this step. */
  riskDenied: number;
  /** The denying rule, or "". */
  riskRule: string;
  /** Ladder exit orders filled this step. */
  exitOrders: number;
  /** Contracts closed by the ladder this step. */
  exitQty: number;
  /** Rule of the last ladder exit this step (`tp1`, `stop_loss`, …), or "". */
  exitRule: string;
  /** Denied orders this episode. */
  riskDenials: number;
  /** Ladder exit orders this episode. */
  ladderExits: number;
  /** Events (denials, halts, exits) of this step; a shared empty array when none. */
  riskEvents: readonly RiskEvent[];
};

/** A snapshot of a {@link GuardedFuturesEnv}. */
export interface GuardedEnvState {
  /** Tag checked by {@link GuardedFuturesEnv.restoreState}. */
  kind: "GuardedFuturesEnv";
  /** The wrapped env's snapshot. */
  inner: FuturesEnvState;
  /** The risk manager's state (JSON), or null without risk rules. */
  risk: RiskState | null;
  /** The profit manager's state (JSON), or null without exits. */
  exits: ProfitState | null;
  /** [tracked size, denials, ladder exits]. */
  scalars: number[];
  /** A copy of the last info. */
  info: GuardedEnvInfo;
}

const NO_EVENTS: readonly RiskEvent[] = Object.freeze([]);

/** The futures env wrapped by the risk manager and the exit ladder (see the module docs). */
export class GuardedFuturesEnv implements Env<number> {
  /** The wrapped env (its account is the one the guards trade on). */
  readonly env: FuturesTradingEnv;
  /** The inner env's observation space. */
  readonly observationSpace: Box;
  /** The inner env's actions (HOLD, ENTER_LONG, ENTER_SHORT, EXIT, SCALE_IN, SCALE_OUT). */
  readonly actionSpace: Discrete;
  readonly #guard: GuardOptions;
  readonly #riskConfig: RiskConfig | null;
  readonly #exitConfig: ExitLadderConfig | null;
  readonly #symbol: string;
  readonly #time: Float64Array;
  readonly #close: Float64Array;
  readonly #atr: Float64Array;
  readonly #interval: number;
  readonly #leverage: number;
  readonly #ctx: RiskContext = { timeMs: 0, equity: 0 };
  readonly #info: GuardedEnvInfo;
  readonly #result: StepResult;
  #rm: RiskManager | null = null;
  #pm: ProfitManager | null = null;
  #tracked = 0;
  /** Direction of the managed position (−1, 0, 1). */
  #trackedDir = 0;
  #denials = 0;
  #exits = 0;

  /**
   * Build the inner env and validate the guards (context series aligned with the market).
   *
   * @param opts the futures env's options (the inner env is built from them), or a built env
   *   to wrap (its account is then shared: step the wrapper, not the env).
   * @param guard the guardrails; `{}` wraps without any (a transparent wrapper).
   */
  constructor(opts: FuturesEnvOptions | FuturesTradingEnv, guard: GuardOptions) {
    this.env = opts instanceof FuturesTradingEnv ? opts : new FuturesTradingEnv(opts);
    opts = this.env.options;
    this.observationSpace = this.env.observationSpace;
    this.actionSpace = this.env.actionSpace;
    this.#guard = guard ?? {};
    const md = opts.market;
    this.#symbol = md.symbol || "SYMBOL";
    this.#time = md.time;
    this.#close = md.close;
    this.#interval = md.intervalMs;
    this.#atr = atrColumn(opts.features);
    const n = md.close.length;
    for (const [k, a] of Object.entries(this.#guard.context ?? {})) {
      if (a && a.length !== n) {
        throw new EnvError(`context.${k} has ${a.length} values but the market has ${n} bars`, {
          parameter: `context.${k}`,
        });
      }
    }
    const basis = this.#guard.exitGainBasis ?? "margin";
    if (basis !== "margin" && basis !== "price") {
      throw new EnvError(`exitGainBasis must be "margin" or "price", got ${basis}`, {
        parameter: "exitGainBasis",
      });
    }
    const trading = this.env.account.config;
    this.#leverage = basis === "margin" ? trading.leverage : 1;
    const g = this.#guard;
    this.#riskConfig = g.risk
      ? {
        ...new RiskManager({
          ...g.risk,
          session: g.risk.session ?? sessionCalendarFor(opts.calendar ?? "crypto"),
        }).config,
      } as RiskConfig
      : null;
    this.#exitConfig = g.exits
      ? {
        ...new ProfitManager(g.exits).config,
        // the account's minimum order size, so a ladder partial exit is never a full close
        minQty: Math.max(g.exits.minQty ?? 0, trading.minQty),
        minNotional: Math.max(g.exits.minNotional ?? 0, trading.minNotional),
      } as ExitLadderConfig
      : null;
    this.#info = {
      ...this.env.info,
      requestedAction: -1,
      riskDenied: 0,
      riskRule: "",
      exitOrders: 0,
      exitQty: 0,
      exitRule: "",
      riskDenials: 0,
      ladderExits: 0,
      riskEvents: NO_EVENTS,
    };
    this.#result = {
      observation: this.env.observation,
      reward: 0,
      terminated: false,
      truncated: false,
      info: this.#info,
    };
  }

  /** The inner env's account (read it; the guards trade on it). */
  get account(): FuturesTradingEnv["account"] {
    return this.env.account;
  }
  /** The inner env's current bar index. */
  get bar(): number {
    return this.env.bar;
  }
  /** First bar of the current episode (the inner env's). */
  get episodeStart(): number {
    return this.env.episodeStart;
  }
  /** Last bar of the current episode, inclusive (the inner env's). */
  get episodeEnd(): number {
    return this.env.episodeEnd;
  }
  /** The reused info object of the last reset/step. */
  get info(): GuardedEnvInfo {
    return this.#info;
  }
  /** The inner env's reused observation buffer. */
  get observation(): Float64Array {
    return this.env.observation;
  }
  /** Bars per year of the inner env's market (for annualised metrics). */
  get periodsPerYear(): number {
    return this.env.periodsPerYear;
  }
  /** The inner env's first usable bar. */
  get firstBar(): number {
    return this.env.firstBar;
  }
  /** The inner env's last bar. */
  get lastBar(): number {
    return this.env.lastBar;
  }
  /** The inner env's training episode length (undefined: evaluation over the range). */
  get episodeLength(): number | undefined {
    return this.env.episodeLength;
  }
  /** The inner env's reward configuration. */
  get rewardConfig(): FuturesTradingEnv["rewardConfig"] {
    return this.env.rewardConfig;
  }
  /** The inner env's options. */
  get options(): FuturesTradingEnv["options"] {
    return this.env.options;
  }
  /** The guardrails this env enforces (as given). */
  get guard(): Readonly<GuardOptions> {
    return this.#guard;
  }

  /** The episode's risk manager (null without risk rules); e.g. to `setKill`. */
  get riskManager(): RiskManager | null {
    return this.#rm;
  }

  /** The episode's profit manager (null without exits). */
  get profitManager(): ProfitManager | null {
    return this.#pm;
  }

  /** Interventions of this episode by rule (denials, halts, exits, trail activations). */
  interventionCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of [this.#rm?.state().counts, this.#pm?.state().counts]) {
      for (const [k, v] of Object.entries(c ?? {})) out[k] = (out[k] ?? 0) + v;
    }
    return out;
  }

  /** Start an episode with fresh guardrail state (see {@link FuturesTradingEnv.reset}). */
  reset(opts: ResetOptions = {}): { observation: Float64Array; info: GuardedEnvInfo } {
    const r = this.env.reset(opts);
    this.#rm = this.#riskConfig ? new RiskManager(this.#riskConfig) : null;
    this.#pm = this.#exitConfig ? new ProfitManager(this.#exitConfig) : null;
    this.#tracked = 0;
    this.#denials = 0;
    this.#exits = 0;
    const t = this.env.bar;
    if (this.#rm) this.#rm.observe(this.#context(t, r.info.equity));
    this.#fillInfo(-1);
    return { observation: r.observation, info: this.#info };
  }

  /** One guarded step (see the module docs). */
  step(action: number): StepResult {
    const env = this.env;
    const acct = env.account;
    const t = env.bar;
    const rm = this.#rm;
    const pm = this.#pm;
    const info = this.#info;
    info.riskDenied = 0;
    info.riskRule = "";
    info.exitOrders = 0;
    info.exitQty = 0;
    info.exitRule = "";
    let act = action;
    // 1–2. sync the ladder with the account; observe the equity at bar t's close
    this.#sync(t);
    if (rm) rm.observe(this.#context(t, acct.equity));
    // 3. the ladder on bar t's close
    if (pm && acct.direction !== 0 && pm.has(this.#symbol)) {
      const orders = pm.checkExits(this.#symbol, { price: this.#close[t], timeMs: this.#nowMs(t) });
      for (let i = 0; i < orders.length; i++) {
        const o = orders[i];
        info.exitOrders++;
        info.exitRule = o.rule;
        this.#exits++;
        if (o.closesPosition) {
          info.exitQty += acct.size;
          act = Action.EXIT;
          pm.removePosition(this.#symbol);
          this.#tracked = 0;
          break;
        }
        // a partial take-profit: the ladder applied the account's minimum size, so this never
        // closes the whole position (a full close goes through the env's EXIT above)
        acct.reduce(o.qty, ExitCode.TAKE_PROFIT);
        info.exitQty += acct.lastFillQty;
        pm.recordExit(this.#symbol, acct.lastFillQty);
        this.#tracked = acct.size;
      }
    }
    // 4. risk: a halt may flatten; exposure-increasing actions need the risk manager's yes
    if (rm) {
      if (
        this.#guard.flattenOnHalt && acct.direction !== 0 && act !== Action.EXIT &&
        (rm.isHalted("kill_switch") || rm.isHalted("daily_loss") ||
          rm.isHalted("loss_streak") || rm.isHalted("max_drawdown"))
      ) act = Action.EXIT;
      if (this.#wouldIncrease(act, t)) {
        const qty = act === Action.SCALE_IN
          ? acct.size * (acct.config.scaleInFactor - 1)
          : acct.riskSize(this.#atr[t]);
        const side = act === Action.ENTER_SHORT || (act === Action.SCALE_IN && acct.direction < 0)
          ? "sell"
          : "buy";
        const d = rm.checkTrade(
          { symbol: this.#symbol, side, qty, price: this.#close[t] },
          this.#context(t, acct.equity),
        );
        if (!d.allowed) {
          act = Action.HOLD;
          info.riskDenied = 1;
          info.riskRule = d.rule ?? "";
          this.#denials++;
        }
      }
    }
    // 5. the inner step, then the closed trade and the new equity
    const r = env.step(act);
    if (rm) {
      const t1 = env.bar;
      if (r.info.tradeClosed > 0) {
        rm.recordTradeClosed({
          symbol: this.#symbol,
          pnl: r.info.closedTradePnl,
          timeMs: this.#nowMs(t1),
        });
      }
      rm.observe(this.#context(t1, r.info.equity));
    }
    if (pm && acct.direction === 0 && pm.has(this.#symbol)) {
      pm.removePosition(this.#symbol);
      this.#tracked = 0;
    }
    this.#fillInfo(action);
    const res = this.#result;
    res.observation = r.observation;
    res.reward = r.reward;
    res.terminated = r.terminated;
    res.truncated = r.truncated;
    return res;
  }

  /** The inner env's action mask (the guards act inside `step`; they do not mask). */
  actionMask(out: Uint8Array): void {
    this.env.actionMask(out);
  }

  /** A complete snapshot: the inner env, both managers' states and the counters. */
  cloneState(): GuardedEnvState {
    return {
      kind: "GuardedFuturesEnv",
      inner: this.env.cloneState(),
      risk: this.#rm?.state() ?? null,
      exits: this.#pm?.state() ?? null,
      scalars: [this.#tracked, this.#denials, this.#exits],
      info: { ...this.#info },
    };
  }

  /** Restore a {@link cloneState} snapshot of an env with the same data and guards. */
  restoreState(state: unknown): void {
    const s = state as GuardedEnvState;
    if (s?.kind !== "GuardedFuturesEnv" || !Array.isArray(s.scalars)) {
      throw new EnvError("not a snapshot of a GuardedFuturesEnv", { parameter: "state" });
    }
    this.env.restoreState(s.inner);
    this.#rm = s.risk ? RiskManager.restore(s.risk) : null;
    this.#pm = s.exits ? ProfitManager.restore(s.exits) : null;
    [this.#tracked, this.#denials, this.#exits] = s.scalars;
    Object.assign(this.#info, s.info);
    this.#result.observation = this.env.observation;
  }

  /** The inner env's one-line state plus the guards' counters. */
  render(): string {
    return `${this.env.render()} | guards: ${this.#denials} denied, ${this.#exits} exits`;
  }

  // ---------------------------------------------------------------- internals

  /** Close time of bar `t` (UTC ms): when its decisions are taken. */
  #nowMs(t: number): number {
    return this.#time[t] + this.#interval;
  }

  /** The reused risk context at bar `t`'s close. */
  #context(t: number, equity: number): RiskContext {
    const c = this.#ctx;
    const s = this.#guard.context;
    c.timeMs = this.#nowMs(t);
    c.equity = equity;
    c.ivRank = finiteOrUndefined(s?.ivRank, t);
    c.vix = finiteOrUndefined(s?.vix, t);
    c.spreadFraction = finiteOrUndefined(s?.spreadFraction, t);
    return c;
  }

  /** Whether `act` would add exposure now (an entry from flat, a scale-in in a position). */
  #wouldIncrease(act: number, t: number): boolean {
    const a = this.env.account;
    if (act === Action.ENTER_LONG || act === Action.ENTER_SHORT) {
      return a.canEnter(this.#atr[t], act === Action.ENTER_LONG ? 1 : -1);
    }
    return act === Action.SCALE_IN && a.canScaleIn();
  }

  /** Make the ladder follow the account (entries, flips, scale-ins, the agent's scale-outs). */
  #sync(t: number): void {
    const pm = this.#pm;
    if (!pm) return;
    const a = this.env.account;
    const sym = this.#symbol;
    if (a.direction === 0) {
      if (pm.has(sym)) pm.removePosition(sym);
      this.#tracked = 0;
      return;
    }
    const side = a.direction > 0 ? "long" : "short";
    const held = pm.has(sym);
    if (held && a.size < this.#tracked * (1 - 1e-12)) {
      pm.recordExit(sym, Math.min(this.#tracked - a.size, this.#tracked));
      this.#tracked = a.size;
    }
    if (!pm.has(sym) || this.#trackedDir !== a.direction || a.size > this.#tracked * (1 + 1e-12)) {
      pm.addPosition({
        symbol: sym,
        qty: a.size,
        entryPrice: a.entryPrice,
        side,
        timeMs: this.#nowMs(t),
        leverage: this.#leverage,
      });
      this.#tracked = a.size;
      this.#trackedDir = a.direction;
    }
  }

  #fillInfo(requested: number): void {
    const info = this.#info;
    Object.assign(info, this.env.info);
    info.requestedAction = requested;
    info.riskDenials = this.#denials;
    info.ladderExits = this.#exits;
    const nr = this.#rm?.queuedEvents ?? 0;
    const np = this.#pm?.queuedEvents ?? 0;
    info.riskEvents = nr + np === 0
      ? NO_EVENTS
      : [...(this.#rm?.takeEvents() ?? []), ...(this.#pm?.takeEvents() ?? [])];
  }
}

function atrColumn(fm: FeatureMatrix): Float64Array {
  const j = fm.names.indexOf("atr_14");
  const out = new Float64Array(fm.rows).fill(NaN);
  if (j < 0) return out; // the inner env already rejected a matrix without atr_14
  for (let i = 0; i < fm.rows; i++) out[i] = fm.data[i * fm.cols + j];
  return out;
}

function finiteOrUndefined(a: Float64Array | undefined, t: number): number | undefined {
  if (!a) return undefined;
  const v = a[t];
  return Number.isFinite(v) ? v : undefined;
}
