/**
 * One paper-trading session from options (what `deno task paper` and notebook 11 call): load
 * the runs, the bars to replay, the brokers and the journal, run the {@link PaperLoop}, and
 * return its summary.
 *
 * Bars: `bars` names a recorded bar file (anything `loadMarketData` reads); by default the
 * first run's own market (the embedded synthetic one with its `data-seed` and `bars`) is
 * replayed over its TEST split, preceded by {@link WARMUP_BARS} bars so the features are warm
 * on the split's first bar. `limit` keeps the first N bars of that window.
 *
 * Brokers: `paper` (default) gives each run its own persistent paper sub-account
 * (`<journal>.<agent>.broker.sqlite`, see `paper_store.ts`); `alpaca` uses `AlpacaBroker` with
 * `alpacaOptionsFromEnv()` (e.g. the local test server via `ALPACA_BASE_URL`).
 *
 * @module
 */
import { AlpacaBroker, alpacaOptionsFromEnv, type Broker, RateLimiter } from "../broker/mod.ts";
import { loadMarketData, type MarketData, splitByFraction } from "../data/mod.ts";
import { ConfigError } from "../util/mod.ts";
import { type Clock, SystemClock } from "./clock.ts";
import { Journal } from "./journal.ts";
import { defaultJournalPath } from "./kill_switch.ts";
import {
  type BarColumns,
  type LoopAgent,
  type LoopSummary,
  PaperLoop,
  replayFeed,
  type WatchdogName,
} from "./loop.ts";
import { paperBrokerStorePath, PersistentPaperBroker } from "./paper_store.ts";
import { alpacaBarFeed, LIVE_WARMUP_BARS } from "./live_feed.ts";
import { loadRunPolicy, type RunPolicy } from "./run_policy.ts";

/** Bars before the test split replayed to warm the features up (no decisions on them). */
export const WARMUP_BARS = 100;

/** Options of {@link runPaperSession}. */
export interface PaperSessionOptions {
  /** Run folders (one agent each). */
  runs: string[];
  /** Broker: `paper` (default) or `alpaca`. */
  broker?: "paper" | "alpaca";
  /**
   * Bar source: `replay` (default: recorded bars, see `bars`/`market`) or `alpaca` (live bars
   * polled from Alpaca's market data, keys from the environment; needs `symbol`).
   */
  feed?: "replay" | "alpaca";
  /** Symbol of a live feed (an Alpaca symbol, e.g. `SPY`). */
  symbol?: string;
  /** Interval of a live feed, ms. Default 300000 (5 min, the runs' bars). */
  intervalMs?: number;
  /** A live feed stops after this many bars (default: runs until stopped). */
  maxBars?: number;
  /** Poll interval of a live feed, ms. Default 5000. */
  pollMs?: number;
  /** Bar file to replay (default: the first run's market, test split). */
  bars?: string;
  /** Bars in memory to replay instead of a file (e.g. a notebook's market). */
  market?: MarketData;
  /** First bar of the window to replay (index into the bar file). Default: see module docs. */
  from?: number;
  /** Keep at most this many bars. */
  limit?: number;
  /** Replay speed × real time; Infinity = `max`. Default Infinity. */
  speed?: number;
  /** Journal path. Default `<first run>/paper/journal.sqlite`. */
  journal?: string;
  /** EMA smoothing α of the logits. */
  smoothing?: number;
  /** Risk preset. Default `spec`. */
  risk?: "spec" | "off";
  /** Exit ladder preset. Default `spec`. */
  exits?: "spec" | "off";
  /** Watchdogs to switch off. */
  disabledWatchdogs?: WatchdogName[];
  /** Accept the broker's state on a reconciliation mismatch (journaled). */
  adoptBrokerState?: boolean;
  /** Write the daily report here (default `<journal dir>/reports`); null = none. */
  reportDir?: string | null;
  /** For a venue simulator: POST `{symbol, price}` of each bar's close here first. */
  simPriceUrl?: string;
  /** Test aid: see `PaperLoopOptions.crashWindowMs`. */
  crashWindowMs?: number;
  /** Clock. */
  clock?: Clock;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What {@link runPaperSession} returns. */
export interface PaperSessionResult {
  /** The loop's summary. */
  summary: LoopSummary;
  /** The journal file. */
  journal: string;
  /** The bars replayed (the window); null for a live feed. */
  market: MarketData | null;
  /** Index range of the window in the bar file. */
  window: { from: number; to: number };
  /** The loaded runs (same order as `runs`). */
  policies: RunPolicy[];
}

/** Load the bars a session replays (see the module docs). */
export async function sessionBars(
  runConfig: Record<string, unknown>,
  options: { bars?: string; market?: MarketData; from?: number; limit?: number } = {},
): Promise<{ market: MarketData; from: number; to: number }> {
  let market: MarketData;
  let from = options.from;
  if (options.market) {
    market = options.market;
    from ??= 0;
  } else if (options.bars) {
    market = await loadMarketData(options.bars);
    from ??= 0;
  } else {
    // config.json is the run's resolved RunConfig (data.source, data.dataSeed, data.bars,
    // data.split); runs written before it held flat option values (data, data-seed, bars)
    const nested = typeof runConfig.data === "object" && runConfig.data !== null
      ? runConfig.data as Record<string, unknown>
      : null;
    const pick = (key: string, flat: string): unknown => nested ? nested[key] : runConfig[flat];
    const srcValue = pick("source", "data");
    const seedValue = pick("dataSeed", "data-seed");
    const barsValue = pick("bars", "bars");
    const src = typeof srcValue === "string" ? srcValue : "synthetic";
    const seed = typeof seedValue === "number" ? seedValue : 42;
    const n = typeof barsValue === "number" ? barsValue : undefined;
    market = await loadMarketData(src, { synthetic: { seed, ...(n ? { bars: n } : {}) } });
    const fractions = nested?.split as
      | { train?: number; validation?: number; test?: number }
      | null;
    const split = splitByFraction(
      market.time.length,
      fractions && typeof fractions.train === "number" ? fractions : {},
    );
    from ??= Math.max(0, split.test.start - WARMUP_BARS);
  }
  const n = market.time.length;
  if (!(from >= 0 && from < n)) {
    throw new ConfigError(`--from ${from} outside the ${n} bars`, { parameter: "from" });
  }
  const to = options.limit !== undefined ? Math.min(n, from + options.limit) : n;
  return { market, from, to };
}

/** Run one paper session (see {@link PaperSessionOptions}). */
export async function runPaperSession(options: PaperSessionOptions): Promise<PaperSessionResult> {
  if (!options.runs.length) throw new ConfigError("give at least one --run", { parameter: "run" });
  const brokerKind = options.broker ?? "paper";
  if (brokerKind !== "paper" && options.runs.length > 1) {
    throw new ConfigError(
      `several runs need separate sub-accounts: only --broker paper provides them`,
      { parameter: "run" },
      "trade one run per venue account",
    );
  }
  const policies = [];
  for (const r of options.runs) {
    const policy = await loadRunPolicy(r, { smoothing: options.smoothing });
    // The loop does not rebuild the walk-forward ML signals live (their observation inputs are
    // 0): a run that learned from them would act on observations it never saw in training.
    const data = policy.config.data as { signals?: unknown } | undefined;
    if (data && typeof data === "object" && data.signals === "ml") {
      throw new ConfigError(
        `the run ${r} was trained with the ML-signal observation inputs, which the paper loop ` +
          "does not rebuild live (they would be 0 here, unlike in training)",
        { parameter: "run" },
        "paper-trade a run trained with --signals none",
      );
    }
    policies.push(policy);
  }
  const journalPath = options.journal ?? defaultJournalPath(options.runs[0]);
  const dir = journalPath.includes("/") ? journalPath.slice(0, journalPath.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const clock = options.clock ?? new SystemClock();
  const feedKind = options.feed ?? "replay";
  let market: MarketData | null = null;
  let from = 0, to = 0;
  let columns: BarColumns | null = null;
  if (feedKind === "replay") {
    ({ market, from, to } = await sessionBars(policies[0].config, options));
    columns = {
      symbol: market.symbol,
      interval: market.interval,
      intervalMs: market.intervalMs,
      time: market.time,
      open: market.open,
      high: market.high,
      low: market.low,
      close: market.close,
      volume: market.volume,
      openInterest: market.openInterest,
      fundingRate: market.fundingRate,
    };
  } else if (feedKind !== "alpaca") {
    throw new ConfigError(`unknown feed "${feedKind}"`, { parameter: "feed" });
  } else if (!options.symbol) {
    throw new ConfigError(
      "a live feed needs a symbol",
      { parameter: "symbol" },
      "e.g. --symbol SPY",
    );
  }

  const symbol = market ? market.symbol : options.symbol!;
  // A replay at full speed commits with synchronous=NORMAL (WAL): a committed row survives a
  // process kill (what the kill tests exercise), not a power loss; real time uses FULL.
  const speed = options.speed ?? Infinity;
  const journal = Journal.open(journalPath, {
    synchronous: speed === Infinity ? "NORMAL" : "FULL",
  });
  const closers: (() => void)[] = [() => journal.close()];
  try {
    const agents: LoopAgent[] = policies.map((p) => {
      let broker: Broker;
      if (brokerKind === "paper") {
        const b = new PersistentPaperBroker(paperBrokerStorePath(journalPath, p.name), {
          symbols: [symbol],
          trading: p.trading,
        });
        closers.push(() => b.close());
        broker = b;
      } else if (brokerKind === "alpaca") {
        const o = alpacaOptionsFromEnv();
        // Alpaca's 200 requests/min applies to Alpaca; a loopback simulator replayed at full
        // speed gets a limiter it cannot hit.
        const loopback = /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(o.baseUrl ?? "");
        if (loopback) o.rateLimiter = new RateLimiter({ limit: 1_000_000, windowMs: 60_000 });
        broker = new AlpacaBroker(o);
      } else {
        throw new ConfigError(`unknown broker "${brokerKind}"`, { parameter: "broker" });
      }
      const url = options.simPriceUrl;
      return {
        policy: p,
        broker,
        onBar: url
          ? async (bar) => {
            const r = await fetch(url, {
              method: "POST",
              body: JSON.stringify({ symbol, price: bar.close }),
            });
            await r.body?.cancel();
          }
          : undefined,
      };
    });
    const loop = new PaperLoop({
      journal,
      agents,
      feed: columns
        ? replayFeed(columns, { speed, clock, from, to })
        : liveAlpacaFeed(journal, { ...options, symbol: options.symbol!, clock }),
      clock,
      risk: options.risk,
      exits: options.exits,
      disabledWatchdogs: options.disabledWatchdogs,
      adoptBrokerState: options.adoptBrokerState,
      reportDir: options.reportDir === null ? undefined : options.reportDir ?? `${dir}/reports`,
      log: options.log,
      crashWindowMs: options.crashWindowMs,
    });
    const summary = await loop.run();
    return { summary, journal: journalPath, market, window: { from, to }, policies };
  } finally {
    for (const c of closers.reverse()) c();
  }
}

function liveAlpacaFeed(
  journal: Journal,
  o: PaperSessionOptions & { symbol: string; clock: Clock },
): ReturnType<typeof alpacaBarFeed> {
  const intervalMs = o.intervalMs ?? 300_000;
  const first = journal.since("bars", 0, 1).rows[0];
  const warm = o.clock.now() - LIVE_WARMUP_BARS * intervalMs;
  const startMs = first ? Math.min(Number(first.open_time_ms), warm) : warm;
  const opts = alpacaOptionsFromEnv();
  return alpacaBarFeed(new AlpacaBroker(opts), {
    symbol: o.symbol,
    interval: `${intervalMs / 60_000}m`,
    intervalMs,
    startMs,
    pollMs: o.pollMs,
    maxBars: o.maxBars,
    clock: o.clock,
  });
}

/** The summary as printable lines. */
export function formatSummary(s: LoopSummary): string {
  const kv = (o: Record<string, number>) =>
    Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  const lines = [
    `bars: ${s.bars} live, ${s.replayedBars} replayed from the journal · ${
      s.barsPerSecond.toFixed(0)
    } bars/s`,
    `decisions: ${kv(s.decisions)}`,
    `orders: ${s.orders} · fills: ${s.fills}`,
    `blocked by rule: ${kv(s.blockedByRule)}`,
    `exits by level: ${kv(s.exitsByLevel)}`,
  ];
  for (const a of s.agents) {
    lines.push(
      `${a.agent}: equity ${a.equity.toFixed(2)} (initial ${a.initial.toFixed(2)}, return ${
        (a.return * 100).toFixed(2)
      } %), position ${a.position}`,
    );
  }
  if (s.watchdogs.length) {
    lines.push(`watchdogs: ${s.watchdogs.map((w) => `${w.name} (${w.detail})`).join("; ")}`);
  }
  lines.push(`stopped: ${s.stopReason}`);
  if (s.report) lines.push(`daily report: ${s.report.jsonPath}, ${s.report.htmlPath}`);
  return lines.join("\n");
}
