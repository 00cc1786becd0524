/**
 * A metrics tracker for training runs, backtests and live/paper trading (the metrics tracker
 * of `002_537e98b5fe746c23.txt`): records trades, agent decisions and model predictions;
 * computes P&L, win rate, annualised Sharpe and max drawdown over a look-back window,
 * per-agent performance, and a daily report.
 *
 * Time is always passed in (UTC epoch ms), never read from the clock, so results are
 * reproducible; days are UTC calendar days.
 *
 * @module
 */
import { ConfigError, DataError, type MarketCalendar, writeFileAtomic } from "../util/mod.ts";
import { drawdownStats, sharpeRatio } from "./returns.ts";
import { type TradeRecord, type TradeStats, tradeStats } from "./trades.ts";

const DAY_MS = 86_400_000;

/** A closed trade as the tracker records it. Money in quote currency. */
export interface TrackedTrade {
  /** Exit (close) time, UTC epoch ms; the trade counts on this day. */
  time: number;
  /** Entry time, UTC epoch ms (default: `time`). */
  entryTime?: number;
  symbol: string;
  entryPrice: number;
  exitPrice: number;
  /** Quantity (contracts/shares), > 0. */
  quantity: number;
  /** `"long"`/`"buy"` or `"short"`/`"sell"`: the side of the opening fill. */
  side: "long" | "short" | "buy" | "sell";
  /** Net PnL after fees (quote). */
  pnl: number;
  /** Which agent or strategy made the trade, e.g. `"ppo"`, `"baseline"`. */
  agent: string;
  /** Fees paid (quote), default 0. */
  fees?: number;
  /** Funding paid (quote, negative = received), default 0. */
  funding?: number;
}

/** An agent's decision (whether or not it led to a trade). */
export interface DecisionRecord {
  /** UTC epoch ms. */
  time: number;
  agent: string;
  /** E.g. `"HOLD"`, `"ENTER_LONG"`, `"BUY_CALL"`. */
  action: string;
  symbol?: string;
  /** Confidence in [0, 1], if the agent has one. */
  confidence?: number;
  /** Whether the decision was executed (false when blocked, e.g. by the risk manager). */
  executed?: boolean;
  /** Free-text reason, e.g. the risk rule that blocked it. */
  reason?: string;
}

/** A model prediction (e.g. the RL policy's action probabilities or a continuous action). */
export interface PredictionRecord {
  /** UTC epoch ms. */
  time: number;
  model: string;
  symbol?: string;
  /** The raw prediction: a scalar action, or a probability vector. */
  value: number | number[];
  /** Confidence in [0, 1], if any. */
  confidence?: number;
}

/** Options of {@link MetricsTracker}. */
export interface MetricsTrackerOptions {
  /** Capital the P&L is measured against (quote). Default 2000 (the specification's balance). */
  initialCapital?: number;
  /**
   * Calendar for the daily Sharpe: `crypto` counts every UTC day and annualises with 365;
   * `us_equity` counts Monday–Friday and annualises with 252.
   */
  calendar?: MarketCalendar;
}

/** Options of {@link MetricsTracker.calculateMetrics}. */
export interface WindowOptions {
  /** Only trades whose exit is within this many days before `now`. Default: all. */
  lookbackDays?: number;
  /** End of the window, UTC epoch ms. Default: the latest recorded trade time. */
  now?: number;
}

/** Summary over a window. */
export interface TrackerMetrics {
  /** Window start (inclusive) and end (inclusive), UTC epoch ms; `null` with no trades. */
  from: number | null;
  to: number | null;
  /** Sum of net trade PnL (quote). */
  totalPnl: number;
  /** totalPnl / initial capital, fraction. */
  returnOnCapital: number;
  /** Annualised Sharpe of DAILY returns (days without trades count as 0); `null` with < 2 days or zero variance. */
  sharpe: number | null;
  /** Max drawdown of capital + cumulative PnL (trade by trade, from the initial capital), negative fraction or 0. */
  maxDrawdown: number;
  /** Days in the window used for the Sharpe. */
  days: number;
  /** Trade statistics (win rate, profit factor, payoff ratio, …). */
  stats: TradeStats;
}

/** Per-day report. */
export interface DailyReport {
  /** `YYYY-MM-DD` (UTC). */
  date: string;
  trades: number;
  pnl: number;
  winRate: number | null;
  profitFactor: number | null;
  feesPaid: number;
  /** PnL and trade count by agent. */
  byAgent: Record<string, { trades: number; pnl: number; winRate: number | null }>;
  /** Decisions by action. */
  decisions: Record<string, number>;
  /** Decisions not executed (blocked). */
  blockedDecisions: number;
  predictions: number;
  /** Cumulative PnL from the first record to the end of this day (quote). */
  cumulativePnl: number;
  /** Plain-text rendering. */
  text: string;
}

function isoDay(t: number): string {
  return new Date(Math.floor(t / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

function toTradeRecord(t: TrackedTrade): TradeRecord {
  const entry = t.entryTime ?? t.time;
  return {
    side: t.side === "long" || t.side === "buy" ? 1 : -1,
    entryBar: 0,
    exitBar: 0,
    entryTime: entry,
    exitTime: t.time,
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    size: t.quantity,
    pnl: t.pnl,
    fees: t.fees ?? 0,
    funding: t.funding ?? 0,
  };
}

function fmt(x: number | null, digits = 2, pct = false): string {
  if (x === null) return "n/a";
  return pct ? `${(x * 100).toFixed(digits)} %` : x.toFixed(digits);
}

/** Records trades, decisions and predictions; computes windowed and per-agent metrics. */
export class MetricsTracker {
  /** Capital the P&L is measured against (quote). */
  readonly initialCapital: number;
  /** Calendar of the daily Sharpe. */
  readonly calendar: MarketCalendar;
  #trades: TrackedTrade[] = [];
  #decisions: DecisionRecord[] = [];
  #predictions: PredictionRecord[] = [];

  constructor(options: MetricsTrackerOptions = {}) {
    this.initialCapital = options.initialCapital ?? 2000;
    this.calendar = options.calendar ?? "crypto";
    if (!(this.initialCapital > 0)) {
      throw new ConfigError(
        `MetricsTracker: initialCapital must be > 0, got ${this.initialCapital}`,
        { parameter: "initialCapital" },
      );
    }
  }

  /** Recorded trades (in recording order). */
  get trades(): readonly TrackedTrade[] {
    return this.#trades;
  }
  /** Recorded decisions. */
  get decisions(): readonly DecisionRecord[] {
    return this.#decisions;
  }
  /** Recorded predictions. */
  get predictions(): readonly PredictionRecord[] {
    return this.#predictions;
  }

  /** Record a closed trade. Throws a {@link DataError} for non-finite prices, PnL or time. */
  recordTrade(trade: TrackedTrade): void {
    for (const k of ["time", "entryPrice", "exitPrice", "quantity", "pnl"] as const) {
      if (!Number.isFinite(trade[k])) {
        throw new DataError(`recordTrade: ${k} is ${trade[k]}`, { parameter: k });
      }
    }
    this.#trades.push({ ...trade });
  }

  /**
   * Record every closed trade of a ledger (e.g. a backtest's `trades`) for one agent; times
   * are the trades' exit times.
   */
  recordTrades(trades: readonly TradeRecord[], options: { agent: string; symbol?: string }): void {
    for (const t of trades) {
      this.recordTrade({
        time: t.exitTime,
        entryTime: t.entryTime,
        symbol: options.symbol ?? "",
        entryPrice: t.entryPrice,
        exitPrice: t.exitPrice,
        quantity: t.size,
        side: t.side === 1 ? "long" : "short",
        pnl: t.pnl,
        agent: options.agent,
        fees: t.fees,
        funding: t.funding,
      });
    }
  }

  /** Record an agent decision. */
  recordDecision(decision: DecisionRecord): void {
    if (!Number.isFinite(decision.time)) {
      throw new DataError(`recordDecision: time is ${decision.time}`, { parameter: "time" });
    }
    this.#decisions.push({ ...decision });
  }

  /** Record a model prediction. */
  recordPrediction(prediction: PredictionRecord): void {
    if (!Number.isFinite(prediction.time)) {
      throw new DataError(`recordPrediction: time is ${prediction.time}`, {
        parameter: "time",
      });
    }
    this.#predictions.push({
      ...prediction,
      value: Array.isArray(prediction.value) ? [...prediction.value] : prediction.value,
    });
  }

  #window(
    options: WindowOptions,
    agent?: string,
  ): { list: TrackedTrade[]; from: number; to: number } | null {
    const sorted = this.#trades
      .filter((t) => agent === undefined || t.agent === agent)
      .sort((a, b) => a.time - b.time);
    if (sorted.length === 0) return null;
    const to = options.now ?? sorted[sorted.length - 1].time;
    const from = options.lookbackDays !== undefined
      ? to - options.lookbackDays * DAY_MS
      : sorted[0].time;
    const list = sorted.filter((t) => t.time >= from && t.time <= to);
    return { list, from, to };
  }

  /**
   * P&L, win rate, Sharpe (daily, annualised by the calendar: 365 crypto, 252 US equity),
   * max drawdown and trade statistics of trades closed within the window (all agents).
   * With no trades: zeros and `null` ratios.
   */
  calculateMetrics(options: WindowOptions = {}): TrackerMetrics {
    return this.#metrics(options);
  }

  #metrics(options: WindowOptions, agent?: string): TrackerMetrics {
    const w = this.#window(options, agent);
    if (w === null || w.list.length === 0) {
      return {
        from: w?.from ?? null,
        to: w?.to ?? null,
        totalPnl: 0,
        returnOnCapital: 0,
        sharpe: null,
        maxDrawdown: 0,
        days: 0,
        stats: tradeStats([]),
      };
    }
    const { list, from, to } = w;
    // equity trade by trade, from the initial capital
    const eq = new Float64Array(list.length + 1);
    eq[0] = this.initialCapital;
    for (let i = 0; i < list.length; i++) eq[i + 1] = eq[i] + list[i].pnl;
    // daily returns: each UTC day in [from, to] (weekdays only for us_equity)
    const d0 = Math.floor(from / DAY_MS);
    const d1 = Math.floor(to / DAY_MS);
    const dayPnl = new Float64Array(d1 - d0 + 1);
    for (const t of list) dayPnl[Math.floor(t.time / DAY_MS) - d0] += t.pnl;
    const rets: number[] = [];
    let capital = this.initialCapital;
    for (let d = 0; d < dayPnl.length; d++) {
      const weekday = new Date((d0 + d) * DAY_MS).getUTCDay();
      if (this.calendar === "us_equity" && (weekday === 0 || weekday === 6) && dayPnl[d] === 0) {
        continue;
      }
      rets.push(capital > 0 ? dayPnl[d] / capital : 0);
      capital += dayPnl[d];
    }
    const P = this.calendar === "crypto" ? 365 : 252;
    const total = eq[eq.length - 1] - eq[0];
    return {
      from,
      to,
      totalPnl: total,
      returnOnCapital: total / this.initialCapital,
      sharpe: sharpeRatio(rets, P),
      // Ruin floors equity at 0 (the accounting has no debt): a loss beyond the capital is -100 %.
      maxDrawdown: drawdownStats(eq.map((e) => Math.max(0, e))).maxDrawdown,
      days: rets.length,
      stats: tradeStats(list.map(toTradeRecord)),
    };
  }

  /** {@link calculateMetrics} for each agent separately, keyed by agent name. */
  getAgentPerformance(options: WindowOptions = {}): Record<string, TrackerMetrics> {
    const agents = [...new Set(this.#trades.map((t) => t.agent))].sort();
    const now = options.now ??
      (this.#trades.length ? Math.max(...this.#trades.map((t) => t.time)) : undefined);
    const out: Record<string, TrackerMetrics> = {};
    for (const a of agents) out[a] = this.#metrics({ ...options, now }, a);
    return out;
  }

  /**
   * The report of one UTC day (`YYYY-MM-DD` or any UTC ms inside the day): trades, PnL, win
   * rate, profit factor and fees, by agent; decisions by action; predictions; cumulative PnL.
   */
  dailyReport(day: string | number): DailyReport {
    let d: number;
    if (typeof day === "number") d = Math.floor(day / DAY_MS);
    else {
      const t = Date.parse(`${day}T00:00:00Z`);
      if (!Number.isFinite(t)) {
        throw new ConfigError(
          `dailyReport: bad date "${day}"`,
          { parameter: "day" },
          "use YYYY-MM-DD",
        );
      }
      d = t / DAY_MS;
    }
    const inDay = (t: number) => Math.floor(t / DAY_MS) === d;
    const trades = this.#trades.filter((t) => inDay(t.time));
    const st = tradeStats(trades.map(toTradeRecord));
    const byAgent: DailyReport["byAgent"] = {};
    for (const a of [...new Set(trades.map((t) => t.agent))].sort()) {
      const s = tradeStats(trades.filter((t) => t.agent === a).map(toTradeRecord));
      byAgent[a] = { trades: s.trades, pnl: s.netPnl, winRate: s.winRate };
    }
    const decisions: Record<string, number> = {};
    let blocked = 0;
    for (const x of this.#decisions) {
      if (!inDay(x.time)) continue;
      decisions[x.action] = (decisions[x.action] ?? 0) + 1;
      if (x.executed === false) blocked++;
    }
    const predictions = this.#predictions.filter((p) => inDay(p.time)).length;
    let cum = 0;
    for (const t of this.#trades) if (Math.floor(t.time / DAY_MS) <= d) cum += t.pnl;
    const date = isoDay(d * DAY_MS);
    const lines = [
      `Daily report ${date} (UTC)`,
      `  trades ${st.trades}, PnL ${fmt(st.netPnl)}, win rate ${fmt(st.winRate, 1, true)}, ` +
      `profit factor ${fmt(st.profitFactor)}, fees ${fmt(st.feesPaid)}`,
      ...Object.entries(byAgent).map(([a, s]) =>
        `  ${a}: ${s.trades} trades, PnL ${fmt(s.pnl)}, win rate ${fmt(s.winRate, 1, true)}`
      ),
      `  decisions: ${Object.entries(decisions).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}${
        blocked ? ` (${blocked} blocked)` : ""
      }; predictions ${predictions}`,
      `  cumulative PnL ${fmt(cum)} (${fmt(cum / this.initialCapital, 2, true)} of capital)`,
    ];
    return {
      date,
      trades: st.trades,
      pnl: st.netPnl,
      winRate: st.winRate,
      profitFactor: st.profitFactor,
      feesPaid: st.feesPaid,
      byAgent,
      decisions,
      blockedDecisions: blocked,
      predictions,
      cumulativePnl: cum,
      text: lines.join("\n"),
    };
  }

  /** Serialisable snapshot. */
  toJSON(): {
    initialCapital: number;
    calendar: MarketCalendar;
    trades: TrackedTrade[];
    decisions: DecisionRecord[];
    predictions: PredictionRecord[];
  } {
    return {
      initialCapital: this.initialCapital,
      calendar: this.calendar,
      trades: this.#trades,
      decisions: this.#decisions,
      predictions: this.#predictions,
    };
  }

  /** Rebuild a tracker from {@link toJSON} output. */
  static fromJSON(json: ReturnType<MetricsTracker["toJSON"]>): MetricsTracker {
    const t = new MetricsTracker({ initialCapital: json.initialCapital, calendar: json.calendar });
    for (const x of json.trades ?? []) t.recordTrade(x);
    for (const x of json.decisions ?? []) t.recordDecision(x);
    for (const x of json.predictions ?? []) t.recordPrediction(x);
    return t;
  }

  /** Save as JSON, atomically (temp file + rename). */
  async save(path: string): Promise<void> {
    await writeFileAtomic(path, JSON.stringify(this.toJSON()));
  }

  /** Load a tracker saved with {@link save}. */
  static async load(path: string): Promise<MetricsTracker> {
    let json;
    try {
      json = JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new DataError(
        `cannot read metrics tracker: ${(e as Error).message}`,
        { file: path },
        "the file must be written by MetricsTracker.save",
      );
    }
    return MetricsTracker.fromJSON(json);
  }
}
