/**
 * Client order ids that are keys: generated before submission, deterministic (session +
 * sequence), checked against the venue's rules, never reused by one generator.
 *
 * Venue rules (from their API documentation):
 * - **Alpaca**: `client_order_id` at most 48 characters; unique for the account forever — a
 *   duplicate is rejected even after the first order was cancelled or filled.
 * - **Binance USDⓈ-M**: `newClientOrderId` 1–36 characters matching
 *   `^[\.A-Z\:/a-z0-9_-]{1,36}$`; unique only among OPEN orders (a duplicate of an open
 *   order's id → error −4116). ccxt mints a fresh id on every call unless one is passed, so
 *   the adapter always passes ours.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import type { Venue } from "./types.ts";

/** Alpaca's maximum `client_order_id` length. */
export const ALPACA_CLIENT_ID_MAX = 48;
/** Binance USDⓈ-M `newClientOrderId` pattern. */
export const BINANCE_CLIENT_ID_PATTERN = /^[\.A-Z\:/a-z0-9_-]{1,36}$/;

/** Whether `id` is a valid client order id for `venue`; returns the problem or null. */
export function clientIdProblem(venue: Venue, id: string): string | null {
  if (typeof id !== "string" || id.length === 0) return "client order id is empty";
  if (venue === "alpaca" && id.length > ALPACA_CLIENT_ID_MAX) {
    return `Alpaca client_order_id is at most ${ALPACA_CLIENT_ID_MAX} characters, got ${id.length}`;
  }
  if (venue === "binanceusdm" && !BINANCE_CLIENT_ID_PATTERN.test(id)) {
    return `Binance newClientOrderId must match ${BINANCE_CLIENT_ID_PATTERN.source}, got "${id}"`;
  }
  if (venue === "paper" && id.length > 64) return "client order id longer than 64 characters";
  return null;
}

/** Options of {@link ClientOrderIdFactory}. */
export interface ClientOrderIdOptions {
  /** Venue whose rules every id must meet. */
  venue: Venue;
  /**
   * Session tag, unique per run (e.g. a run id or the start time in base 36); with the
   * sequence it makes ids unique across restarts. Letters, digits, `_` and `-` only.
   */
  session: string;
  /** Prefix. Default `rl`. */
  prefix?: string;
  /** First sequence number (resume after a restart from the journal). Default 1. */
  startSeq?: number;
}

/**
 * Deterministic ids `<prefix>-<session>-<seq base 36>`: the same session and sequence
 * give the same id, and one factory never returns an id twice.
 */
export class ClientOrderIdFactory {
  readonly #venue: Venue;
  readonly #stem: string;
  #seq: number;

  constructor(options: ClientOrderIdOptions) {
    if (!/^[A-Za-z0-9_-]{1,24}$/.test(options.session)) {
      throw new ConfigError(
        `session tag "${options.session}" must be 1–24 letters, digits, "_" or "-"`,
        { parameter: "session" },
      );
    }
    const prefix = options.prefix ?? "rl";
    if (!/^[A-Za-z0-9_]{1,8}$/.test(prefix)) {
      throw new ConfigError(`prefix "${prefix}" must be 1–8 letters, digits or "_"`, {
        parameter: "prefix",
      });
    }
    this.#venue = options.venue;
    this.#stem = `${prefix}-${options.session}-`;
    this.#seq = options.startSeq ?? 1;
  }

  /** The next sequence number (persist it to resume without reuse). */
  get nextSeq(): number {
    return this.#seq;
  }

  /** A fresh id (throws {@link ConfigError} if it would break the venue's rules). */
  next(): string {
    const id = this.#stem + (this.#seq++).toString(36);
    const p = clientIdProblem(this.#venue, id);
    if (p) throw new ConfigError(p, { parameter: "clientOrderId" });
    return id;
  }
}
