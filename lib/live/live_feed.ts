/**
 * Live bar feeds: poll a venue for bars and deliver each bar once it has CLOSED (open time +
 * interval ≤ now on the loop's clock), oldest first, never twice.
 *
 * `pollingFeed` is venue-independent (give it `fetchBars(sinceMs)`); `alpacaBarFeed` plugs in
 * `AlpacaBroker.getBars` (market-data v2 `/v2/stocks/bars`). The feed starts at `startMs` —
 * the paper session passes the first journaled bar (a restart replays the journal) or
 * {@link LIVE_WARMUP_BARS} intervals before now (so the features are warm when trading
 * starts) — and delivers history without waiting, then waits `pollMs` between polls.
 *
 * Times UTC ms.
 *
 * @module
 */
import type { AlpacaBroker } from "../broker/mod.ts";
import { ConfigError } from "../util/mod.ts";
import { type Clock, SystemClock } from "./clock.ts";
import type { BarFeed, LoopBar } from "./loop.ts";

/** Bars of history a live feed starts with (feature warm-up). */
export const LIVE_WARMUP_BARS = 100;

/** Options of {@link pollingFeed}. */
export interface PollingFeedOptions {
  /** Symbol of the bars. */
  symbol: string;
  /** Interval name, e.g. `5m`. */
  interval: string;
  /** Interval, ms. */
  intervalMs: number;
  /** Bars with open time ≥ `sinceMs` (any order, duplicates allowed: the feed sorts and dedups). */
  fetchBars: (sinceMs: number) => Promise<LoopBar[]>;
  /** First bar to deliver (open time, UTC ms). */
  startMs: number;
  /** Wait between polls when no closed bar is new, ms. Default 5000. */
  pollMs?: number;
  /** Stop (return null) after this many bars. Default: never. */
  maxBars?: number;
  /** Clock. Default the system clock. */
  clock?: Clock;
}

/** A feed polling `fetchBars` (see the module docs). */
export function pollingFeed(options: PollingFeedOptions): BarFeed {
  if (!(options.intervalMs > 0)) {
    throw new ConfigError(`intervalMs must be > 0, got ${options.intervalMs}`, {
      parameter: "intervalMs",
    });
  }
  const clock = options.clock ?? new SystemClock();
  const pollMs = options.pollMs ?? 5000;
  const queue: LoopBar[] = [];
  let last = options.startMs - 1;
  let delivered = 0;
  return {
    symbol: options.symbol,
    interval: options.interval,
    intervalMs: options.intervalMs,
    wallGapMs: options.intervalMs,
    async next() {
      if (options.maxBars !== undefined && delivered >= options.maxBars) return null;
      for (;;) {
        if (queue.length) {
          delivered++;
          return { bar: queue.shift()!, last: false };
        }
        const now = clock.now();
        const fresh = (await options.fetchBars(last + 1))
          .filter((b) => b.time > last && b.time + options.intervalMs <= now)
          .sort((a, b) => a.time - b.time);
        for (const b of fresh) {
          if (b.time > last) {
            queue.push(b);
            last = b.time;
          }
        }
        if (!queue.length) await clock.sleepUntil(now + pollMs);
      }
    },
  };
}

/** Alpaca timeframe of an interval in ms (`5Min`, `1Hour`, `1Day`). */
export function alpacaTimeframe(intervalMs: number): string {
  const min = intervalMs / 60_000;
  if (Number.isInteger(min) && min < 60) return `${min}Min`;
  if (Number.isInteger(min / 60) && min < 1440) return `${min / 60}Hour`;
  if (min === 1440) return "1Day";
  throw new ConfigError(`no Alpaca timeframe for ${intervalMs} ms bars`, {
    parameter: "interval",
  });
}

/** A live feed of Alpaca bars for `symbol` (see {@link pollingFeed} for the options). */
export function alpacaBarFeed(
  broker: AlpacaBroker,
  options: Omit<PollingFeedOptions, "fetchBars">,
): BarFeed {
  const timeframe = alpacaTimeframe(options.intervalMs);
  return pollingFeed({
    ...options,
    fetchBars: (sinceMs) => broker.getBars(options.symbol, { timeframe, start: sinceMs }),
  });
}
