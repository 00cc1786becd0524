/**
 * The risk manager: guardrails that decide whether an order may be placed.
 *
 * ## Rules (specification 002, STEP 3 and its usage example), in the order they are checked
 * | rule | denies new exposure when | clears |
 * |---|---|---|
 * | `kill_switch` | {@link RiskManager.setKill} was called | only {@link RiskManager.resetKill} |
 * | `max_drawdown` | equity fell ≥ `maxDrawdownFraction` (10 %) below its high-water mark | only `resetRule("max_drawdown")` (the mark restarts at the current equity) |
 * | `daily_loss` | equity fell ≥ `maxDailyLossFraction` (2 %) below the session's first equity | next session, or `resetRule` |
 * | `loss_streak` | `maxLossStreak` (3) closed trades in a row lost money | next session, or `resetRule` |
 * | `spread` | the quoted spread > `maxSpreadFraction` (5 % of mid) | as soon as the spread narrows |
 * | `iv_rank` | IV rank > `maxIvRank` (95, percent points) | as soon as IV rank falls |
 * | `vix` | VIX > `maxVix` (32, index points) | as soon as VIX falls |
 *
 * The first four latch: once triggered they stay on (they are recorded in the state with the
 * time and the numbers) until their clearing event, even if equity recovers. The last three are
 * lockouts evaluated on each order's context; a missing value (`ivRank` undefined for a crypto
 * perpetual) means the rule does not apply.
 *
 * **Exposure-reducing orders** (`reducesExposure: true`: closing, flattening, a ladder exit)
 * are always allowed, under every rule including the kill switch, so a position can always be
 * flattened; the decision then names the rule it was exempted from.
 *
 * **Pure and deterministic**: no clock is read; every call carries its time (UTC epoch ms).
 * {@link RiskManager.checkTrade} and {@link RiskManager.observe} also take the context's equity
 * as an observation (session roll, high-water mark, latching). Time may not go back before the
 * current session's start.
 *
 * **Daily loss base**: the equity at the session's first observation (checkTrade, observe or a
 * fill/trade record carrying equity). Feed `observe` every bar so mark-to-market losses count.
 *
 * **Loss streak**: a trade with pnl < 0 extends it, pnl > 0 resets it to 0, pnl = 0 leaves it.
 * It restarts at 0 at each session.
 *
 * **Events**: every denial and every latch/reset is a {@link RiskEvent}, queued until
 * {@link RiskManager.takeEvents} and counted per rule in the state (`counts`).
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import { pct, RiskError, type RiskEvent, type RiskLevel } from "./events.ts";
import {
  sessionAt,
  type SessionCalendar,
  type SessionWindow,
  validateSessionCalendar,
} from "./session.ts";

/** The rules' names, in the order they are checked. */
export const RISK_RULES = [
  "kill_switch",
  "max_drawdown",
  "daily_loss",
  "loss_streak",
  "spread",
  "iv_rank",
  "vix",
] as const;

/** Name of one risk rule (switch a rule off by listing it in {@link RiskConfig.disabled}). */
export type RiskRuleName = typeof RISK_RULES[number];

/** Rules that latch (stay on until their clearing event). */
export type LatchingRule = "kill_switch" | "max_drawdown" | "daily_loss" | "loss_streak";

/** Limits of the risk rules. Fractions are fractions (0.02 = 2 %). */
export interface RiskConfig {
  /** Session loss (fraction of the session's first equity) that shuts trading down. Spec: 0.02. */
  maxDailyLossFraction: number;
  /** Losing trades in a row that shut trading down for the session. Spec: 3. */
  maxLossStreak: number;
  /** Drawdown from the equity high-water mark (fraction) that halts trading. Spec example: 0.10. */
  maxDrawdownFraction: number;
  /** IV rank (percent points, 0–100) above which new exposure is locked out. Spec: 95. */
  maxIvRank: number;
  /** VIX (index points) above which new exposure is locked out. Spec: 32. */
  maxVix: number;
  /** Bid-ask spread as a fraction of mid above which the circuit breaker trips. Spec: 0.05. */
  maxSpreadFraction: number;
  /** Rules switched off by name. */
  disabled: readonly RiskRuleName[];
  /** When sessions start (daily counters reset). Default: America/New_York midnight. */
  session: SessionCalendar;
}

/** The specification's limits, all rules on, New York sessions. */
export const DEFAULT_RISK_CONFIG: Readonly<RiskConfig> = Object.freeze({
  maxDailyLossFraction: 0.02,
  maxLossStreak: 3,
  maxDrawdownFraction: 0.10,
  maxIvRank: 95,
  maxVix: 32,
  maxSpreadFraction: 0.05,
  disabled: [],
  session: { timeZone: "America/New_York", startMinute: 0 },
});

/** An order to check. `price` in quote currency per unit, `qty` > 0 in units/contracts. */
export interface TradeRequest {
  /** Instrument, e.g. `"SPY"` or an option's OCC symbol. */
  symbol: string;
  /** Order side. */
  side: "buy" | "sell";
  /** Quantity in units/contracts, > 0. */
  qty: number;
  /** Expected fill price, quote currency per unit, > 0. */
  price: number;
  /** True for orders that only reduce or close a position (always allowed). */
  reducesExposure?: boolean;
}

/** The market and account context of a decision. */
export interface RiskContext {
  /** Decision time, UTC epoch ms. */
  timeMs: number;
  /** Account equity now (mark-to-market), quote currency. */
  equity: number;
  /** IV rank in percent points (0–100); omitted when not applicable. */
  ivRank?: number;
  /** VIX level in index points; omitted when not applicable. */
  vix?: number;
  /** Bid-ask spread as a fraction of mid; omitted when unknown. */
  spreadFraction?: number;
}

/**
 * The answer to {@link RiskManager.checkTrade}. `rule` is the rule that denied the order, or
 * — for an allowed exposure-reducing order — the rule it was exempted from; null otherwise.
 */
export interface RiskDecision {
  /** Whether the order may be placed. */
  allowed: boolean;
  /** The deciding rule's name (see the interface docs), or null. */
  rule: string | null;
  /** Names the rule and the numbers, e.g. `daily loss 2.31 % ≥ limit 2.00 %`. */
  reason: string;
  /** Severity: the denying rule's, or how close the nearest limit is. */
  level: RiskLevel;
}

/** A fill to record (counts the session's fills and traded notional). */
export interface FillRecord {
  /** Instrument. */
  symbol: string;
  /** Fill side. */
  side: "buy" | "sell";
  /** Filled quantity, > 0. */
  qty: number;
  /** Fill price, quote currency per unit, > 0. */
  price: number;
  /** Fill time, UTC epoch ms. */
  timeMs: number;
  /** Equity after the fill, when known (observed like {@link RiskManager.observe}). */
  equity?: number;
}

/** A round trip that closed (drives the loss streak). `pnl` is net, quote currency. */
export interface ClosedTradeRecord {
  /** Instrument. */
  symbol: string;
  /** Net PnL of the round trip (after fees), quote currency. */
  pnl: number;
  /** Close time, UTC epoch ms. */
  timeMs: number;
  /** Equity after the close, when known. */
  equity?: number;
}

/** A latched halt: when, why, and the numbers. */
export interface Halt {
  /** When it latched, UTC epoch ms. */
  timeMs: number;
  /** Why, with the numbers. */
  reason: string;
  /** The numbers behind the reason. */
  numbers: Record<string, number>;
}

/** The complete, JSON-serialisable state of a {@link RiskManager}. */
export interface RiskState {
  /** Format version. */
  version: 1;
  /** The resolved configuration. */
  config: RiskConfig;
  /** The current session, null before the first observation. */
  session: SessionWindow | null;
  /** Equity at the session's first observation (the daily-loss base). */
  sessionStartEquity: number | null;
  /** Equity high-water mark (the drawdown base). */
  peakEquity: number | null;
  /** Last observed equity. */
  lastEquity: number | null;
  /** Last time passed in, UTC epoch ms. */
  lastTimeMs: number | null;
  /** Losing closed trades in a row in this session. */
  lossStreak: number;
  /** Fills recorded this session. */
  sessionFills: number;
  /** Traded notional of this session, quote currency. */
  sessionNotional: number;
  /** Net PnL of the trades closed this session, quote currency. */
  sessionRealisedPnl: number;
  /** Latched halts by rule (null = not halted). */
  halts: Record<LatchingRule, Halt | null>;
  /** Interventions (events) per rule since construction. */
  counts: Record<string, number>;
}

const LATCHING: readonly LatchingRule[] = [
  "kill_switch",
  "max_drawdown",
  "daily_loss",
  "loss_streak",
];

const SEVERITY: Record<RiskRuleName, RiskLevel> = {
  kill_switch: "critical",
  max_drawdown: "critical",
  daily_loss: "critical",
  loss_streak: "critical",
  spread: "high",
  iv_rank: "high",
  vix: "high",
};

/** Complete and validate a risk configuration (throws {@link ConfigError} naming the field). */
export function resolveRiskConfig(config: Partial<RiskConfig> = {}): RiskConfig {
  const c: RiskConfig = {
    ...DEFAULT_RISK_CONFIG,
    ...config,
    disabled: [...(config.disabled ?? DEFAULT_RISK_CONFIG.disabled)],
    session: { ...DEFAULT_RISK_CONFIG.session, ...config.session },
  };
  const positive = (name: keyof RiskConfig, v: number, max = Infinity) => {
    if (!(typeof v === "number" && v > 0 && v <= max)) {
      throw new ConfigError(`risk limit ${name} must be a number in (0, ${max}], got ${v}`, {
        parameter: name,
      });
    }
  };
  positive("maxDailyLossFraction", c.maxDailyLossFraction, 1);
  positive("maxDrawdownFraction", c.maxDrawdownFraction, 1);
  positive("maxIvRank", c.maxIvRank, 100);
  positive("maxVix", c.maxVix);
  positive("maxSpreadFraction", c.maxSpreadFraction);
  if (!Number.isInteger(c.maxLossStreak) || c.maxLossStreak < 1) {
    throw new ConfigError(`maxLossStreak must be an integer ≥ 1, got ${c.maxLossStreak}`, {
      parameter: "maxLossStreak",
    });
  }
  for (const r of c.disabled) {
    if (!(RISK_RULES as readonly string[]).includes(r)) {
      throw new ConfigError(
        `unknown risk rule "${r}"`,
        { parameter: "disabled" },
        `known rules: ${RISK_RULES.join(", ")}`,
      );
    }
  }
  validateSessionCalendar(c.session);
  return c;
}

/**
 * Guardrails for order placement. See the module documentation for the rules.
 *
 * @example
 * ```ts
 * const rm = new RiskManager({ maxDailyLossFraction: 0.02 });
 * const d = rm.checkTrade(
 *   { symbol: "AAPL", side: "buy", qty: 10, price: 150 },
 *   { timeMs: Date.UTC(2026, 0, 5, 15), equity: 10_000, ivRank: 75, vix: 25 },
 * );
 * if (!d.allowed) console.log(d.reason);
 * ```
 */
export class RiskManager {
  /** The resolved configuration. */
  readonly config: Readonly<RiskConfig>;
  readonly #on: Record<RiskRuleName, boolean>;
  #s: RiskState;
  #events: RiskEvent[] = [];

  /**
   * A manager with no history.
   *
   * @param config overrides of {@link DEFAULT_RISK_CONFIG}; validated.
   */
  constructor(config: Partial<RiskConfig> = {}) {
    this.config = Object.freeze(resolveRiskConfig(config));
    this.#on = Object.fromEntries(
      RISK_RULES.map((r) => [r, !this.config.disabled.includes(r)]),
    ) as Record<RiskRuleName, boolean>;
    this.#s = {
      version: 1,
      config: structuredClone(this.config) as RiskConfig,
      session: null,
      sessionStartEquity: null,
      peakEquity: null,
      lastEquity: null,
      lastTimeMs: null,
      lossStreak: 0,
      sessionFills: 0,
      sessionNotional: 0,
      sessionRealisedPnl: 0,
      halts: { kill_switch: null, max_drawdown: null, daily_loss: null, loss_streak: null },
      counts: {},
    };
  }

  /** Whether a rule is switched on. */
  isEnabled(rule: RiskRuleName): boolean {
    return this.#on[rule];
  }

  /**
   * Decide whether `order` may be placed now. Observes `context` first (session roll, equity
   * high-water mark, latching of daily loss and drawdown). A denial is queued as an event.
   */
  checkTrade(order: TradeRequest, context: RiskContext): RiskDecision {
    checkOrder(order);
    this.observe(context);
    const block = this.#firstBlock(context);
    if (block) {
      if (order.reducesExposure) {
        return {
          allowed: true,
          rule: block.rule,
          reason: `exposure-reducing order allowed under ${block.rule}: ${block.reason}`,
          level: SEVERITY[block.rule],
        };
      }
      this.#emit(context.timeMs, block.rule, `order denied: ${block.reason}`, {
        ...block.numbers,
        qty: order.qty,
        price: order.price,
      });
      return {
        allowed: false,
        rule: block.rule,
        reason: block.reason,
        level: SEVERITY[block.rule],
      };
    }
    const u = this.#utilisation(context);
    return {
      allowed: true,
      rule: null,
      reason: `allowed (highest use of a limit ${pct(u)})`,
      level: u < 0.5 ? "low" : u < 0.8 ? "medium" : "high",
    };
  }

  /**
   * Take an equity observation at `context.timeMs` (call it every bar): rolls the session,
   * moves the high-water mark, and latches the daily-loss and drawdown halts when breached.
   */
  observe(context: RiskContext): void {
    checkContext(context);
    this.#advance(context.timeMs);
    this.#observeEquity(context.timeMs, context.equity);
  }

  /** Record a fill (session fill count and notional; equity observed when given). */
  recordFill(fill: FillRecord): void {
    checkOrder({ ...fill, symbol: fill.symbol });
    checkTime(fill.timeMs);
    this.#advance(fill.timeMs);
    this.#s.sessionFills += 1;
    this.#s.sessionNotional += fill.qty * fill.price;
    if (fill.equity !== undefined) this.#observeEquity(fill.timeMs, finite(fill.equity, "equity"));
  }

  /** Record a closed round trip: extends or resets the loss streak, may latch `loss_streak`. */
  recordTradeClosed(trade: ClosedTradeRecord): void {
    checkTime(trade.timeMs);
    const pnl = finite(trade.pnl, "pnl");
    this.#advance(trade.timeMs);
    const s = this.#s;
    s.sessionRealisedPnl += pnl;
    if (pnl < 0) s.lossStreak += 1;
    else if (pnl > 0) s.lossStreak = 0;
    if (trade.equity !== undefined) {
      this.#observeEquity(trade.timeMs, finite(trade.equity, "equity"));
    }
    const max = this.config.maxLossStreak;
    if (this.#on.loss_streak && s.halts.loss_streak === null && s.lossStreak >= max) {
      this.#latch("loss_streak", trade.timeMs, `loss streak ${s.lossStreak} ≥ limit ${max}`, {
        lossStreak: s.lossStreak,
        limit: max,
        lastPnl: pnl,
      });
    }
  }

  /** Set the global kill switch: denies all new exposure until {@link resetKill}. */
  setKill(reason: string, timeMs: number): void {
    checkTime(timeMs);
    this.#advance(timeMs);
    if (this.#s.halts.kill_switch !== null) return;
    this.#latch("kill_switch", timeMs, `kill switch: ${reason}`, {});
  }

  /** Clear the kill switch (the only way it clears). */
  resetKill(timeMs: number): void {
    this.resetRule("kill_switch", timeMs);
  }

  /**
   * Clear a latched halt by hand. `max_drawdown` also restarts the high-water mark at the last
   * observed equity; `loss_streak` also zeroes the streak.
   */
  resetRule(rule: LatchingRule, timeMs: number): void {
    checkTime(timeMs);
    if (!LATCHING.includes(rule)) {
      throw new ConfigError(`rule "${rule}" does not latch and cannot be reset`, {
        parameter: "rule",
      });
    }
    this.#advance(timeMs);
    const s = this.#s;
    if (rule === "max_drawdown") s.peakEquity = s.lastEquity;
    if (rule === "loss_streak") s.lossStreak = 0;
    if (rule === "daily_loss") s.sessionStartEquity = s.lastEquity;
    if (s.halts[rule] === null) return;
    s.halts[rule] = null;
    this.#emit(timeMs, rule, `${rule} reset by hand`, {});
  }

  /** Whether a latching rule is currently halting trading. */
  isHalted(rule: LatchingRule): boolean {
    return this.#s.halts[rule] !== null;
  }

  /** Number of events queued for {@link takeEvents} (reading it allocates nothing). */
  get queuedEvents(): number {
    return this.#events.length;
  }

  /** Remove and return the events queued since the last call. */
  takeEvents(): RiskEvent[] {
    const e = this.#events;
    this.#events = [];
    return e;
  }

  /** A JSON-serialisable deep copy of the state (queued events are not part of it). */
  state(): RiskState {
    return structuredClone(this.#s);
  }

  /** Rebuild a manager from {@link state} (for example after `JSON.parse`); validated. */
  static restore(state: RiskState): RiskManager {
    if (state?.version !== 1 || typeof state.halts !== "object" || state.halts === null) {
      throw new RiskError("not a RiskManager state (version 1 expected)", { parameter: "state" });
    }
    const rm = new RiskManager(state.config);
    const s = structuredClone(state);
    for (const r of LATCHING) s.halts[r] ??= null;
    s.counts ??= {};
    s.config = structuredClone(rm.config) as RiskConfig;
    rm.#s = s;
    return rm;
  }

  // ---------------------------------------------------------------- internals

  #advance(timeMs: number): void {
    const s = this.#s;
    if (s.session !== null && timeMs < s.session.startMs) {
      throw new RiskError(
        `time ${new Date(timeMs).toISOString()} is before the current session ${s.session.date}`,
        { parameter: "timeMs" },
        "pass times in order",
      );
    }
    s.lastTimeMs = timeMs;
    if (s.session !== null && timeMs < s.session.endMs) return;
    const previous = s.session;
    s.session = sessionAt(timeMs, this.config.session);
    s.sessionStartEquity = null;
    s.lossStreak = 0;
    s.sessionFills = 0;
    s.sessionNotional = 0;
    s.sessionRealisedPnl = 0;
    if (previous === null) return;
    for (const r of ["daily_loss", "loss_streak"] as const) {
      if (s.halts[r] !== null) {
        s.halts[r] = null;
        this.#emit(timeMs, r, `${r} cleared: new session ${s.session.date}`, {
          sessionStartMs: s.session.startMs,
        });
      }
    }
  }

  #observeEquity(timeMs: number, equity: number): void {
    const s = this.#s;
    s.lastEquity = equity;
    if (s.sessionStartEquity === null) s.sessionStartEquity = equity;
    if (s.peakEquity === null || equity > s.peakEquity) s.peakEquity = equity;
    const loss = this.#dailyLoss();
    const lim = this.config.maxDailyLossFraction;
    if (this.#on.daily_loss && s.halts.daily_loss === null && loss >= lim) {
      this.#latch("daily_loss", timeMs, `daily loss ${pct(loss)} ≥ limit ${pct(lim)}`, {
        dailyLossFraction: loss,
        limit: lim,
        sessionStartEquity: s.sessionStartEquity,
        equity,
      });
    }
    const dd = this.#drawdown();
    const ddLim = this.config.maxDrawdownFraction;
    if (this.#on.max_drawdown && s.halts.max_drawdown === null && dd >= ddLim) {
      this.#latch("max_drawdown", timeMs, `drawdown ${pct(dd)} ≥ limit ${pct(ddLim)}`, {
        drawdownFraction: dd,
        limit: ddLim,
        peakEquity: s.peakEquity!,
        equity,
      });
    }
  }

  #dailyLoss(): number {
    const s = this.#s;
    if (s.sessionStartEquity === null || s.lastEquity === null || !(s.sessionStartEquity > 0)) {
      return 0;
    }
    return (s.sessionStartEquity - s.lastEquity) / s.sessionStartEquity;
  }

  #drawdown(): number {
    const s = this.#s;
    if (s.peakEquity === null || s.lastEquity === null || !(s.peakEquity > 0)) return 0;
    return (s.peakEquity - s.lastEquity) / s.peakEquity;
  }

  #firstBlock(
    ctx: RiskContext,
  ): { rule: RiskRuleName; reason: string; numbers: Record<string, number> } | null {
    const s = this.#s;
    const c = this.config;
    for (const rule of RISK_RULES) {
      if (!this.#on[rule]) continue;
      if ((LATCHING as readonly string[]).includes(rule)) {
        const h = s.halts[rule as LatchingRule];
        if (h) return { rule, reason: h.reason, numbers: h.numbers };
        continue;
      }
      const [value, limit, label] = rule === "spread"
        ? [ctx.spreadFraction, c.maxSpreadFraction, "spread"]
        : rule === "iv_rank"
        ? [ctx.ivRank, c.maxIvRank, "IV rank"]
        : [ctx.vix, c.maxVix, "VIX"];
      if (value !== undefined && value > limit) {
        const shown = rule === "spread"
          ? `${pct(value)} > limit ${pct(limit)}`
          : `${value.toFixed(2)} > limit ${limit.toFixed(2)}`;
        return {
          rule,
          reason: `${label} ${shown}${rule === "spread" ? " (circuit breaker)" : " (lockout)"}`,
          numbers: { value, limit },
        };
      }
    }
    return null;
  }

  /** Largest value/limit over the enabled rules with a value (0 when none). */
  #utilisation(ctx: RiskContext): number {
    const c = this.config;
    let u = 0;
    const use = (rule: RiskRuleName, v: number | undefined, lim: number) => {
      if (this.#on[rule] && v !== undefined && v / lim > u) u = v / lim;
    };
    use("daily_loss", this.#dailyLoss(), c.maxDailyLossFraction);
    use("max_drawdown", this.#drawdown(), c.maxDrawdownFraction);
    use("loss_streak", this.#s.lossStreak, c.maxLossStreak);
    use("spread", ctx.spreadFraction, c.maxSpreadFraction);
    use("iv_rank", ctx.ivRank, c.maxIvRank);
    use("vix", ctx.vix, c.maxVix);
    return u;
  }

  #latch(rule: LatchingRule, timeMs: number, reason: string, numbers: Record<string, number>) {
    this.#s.halts[rule] = { timeMs, reason, numbers };
    this.#emit(timeMs, rule, `${rule} halt: ${reason}`, numbers);
  }

  #emit(timeMs: number, rule: string, reason: string, numbers: Record<string, number>): void {
    this.#events.push({ timeMs, rule, reason, numbers });
    this.#s.counts[rule] = (this.#s.counts[rule] ?? 0) + 1;
  }
}

function finite(v: number, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RiskError(`${name} must be a finite number, got ${v}`, { parameter: name });
  }
  return v;
}

function checkTime(t: number): void {
  finite(t, "timeMs");
}

function checkOrder(o: TradeRequest): void {
  if (typeof o?.symbol !== "string" || o.symbol === "") {
    throw new RiskError("order needs a symbol", { parameter: "symbol" });
  }
  if (o.side !== "buy" && o.side !== "sell") {
    throw new RiskError(`order side must be "buy" or "sell", got ${o.side}`, {
      parameter: "side",
    });
  }
  if (!(finite(o.qty, "qty") > 0)) {
    throw new RiskError(`order qty must be > 0, got ${o.qty}`, { parameter: "qty" });
  }
  if (!(finite(o.price, "price") > 0)) {
    throw new RiskError(`order price must be > 0, got ${o.price}`, { parameter: "price" });
  }
}

function checkContext(c: RiskContext): void {
  checkTime(c.timeMs);
  finite(c.equity, "equity");
  for (const k of ["ivRank", "vix", "spreadFraction"] as const) {
    if (c[k] !== undefined) finite(c[k], k);
  }
}
