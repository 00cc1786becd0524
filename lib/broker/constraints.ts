/**
 * Local validation and venue constraints, as typed refusals (never an exception, never sent).
 *
 * Alpaca (Trading API docs, "Orders" and "Options trading"):
 * - options orders are `simple` or `mleg` only: no bracket, OCO or OTO — a TP/SL ladder on an
 *   option is managed client-side (the profit manager's orders);
 * - a bracket needs BOTH legs (take-profit limit and stop-loss stop), time in force `day` or
 *   `gtc`; its legs activate after the entry fills;
 * - an OCO is an exit-only order whose entry is a limit (the take-profit) with a stop-loss leg.
 * Binance USDⓈ-M has no native bracket or OCO (conditional orders are independent), so this
 * adapter refuses them rather than pretend they are linked; it also has no `day` time in
 * force.
 *
 * @module
 */
import type { OrderRequest, Venue } from "./types.ts";

/** A refusal before sending. */
export interface Refusal {
  /** Machine-readable rule name, e.g. `alpaca.options_no_bracket`. */
  rule: string;
  /** Human explanation naming the offending field. */
  reason: string;
}

/** OCC option symbol: root (1–6 letters), YYMMDD, C/P, strike × 1000 (8 digits). */
export const OCC_OPTION_SYMBOL = /^[A-Z]{1,6}\d{6}[CP]\d{8}$/;

/** Whether `symbol` is an OCC option symbol. */
export function isOptionSymbol(symbol: string): boolean {
  return OCC_OPTION_SYMBOL.test(symbol);
}

const pos = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x) && x > 0;

/** Venue-independent validation of a request; null when valid. */
export function validateRequest(req: OrderRequest): Refusal | null {
  const bad = (field: string, why: string): Refusal => ({
    rule: "validation",
    reason: `${field}: ${why}`,
  });
  if (typeof req.symbol !== "string" || !req.symbol) return bad("symbol", "empty");
  if (req.side !== "buy" && req.side !== "sell") return bad("side", `"${req.side}"`);
  if (!pos(req.qty)) return bad("qty", `must be a positive finite number, got ${req.qty}`);
  if (!["market", "limit", "stop", "stop_limit", "trailing_stop"].includes(req.type)) {
    return bad("type", `unknown order type "${req.type}"`);
  }
  if (!["day", "gtc", "ioc"].includes(req.timeInForce)) {
    return bad("timeInForce", `unknown "${req.timeInForce}"`);
  }
  if ((req.type === "limit" || req.type === "stop_limit") && !pos(req.limitPrice)) {
    return bad("limitPrice", `${req.type} needs a positive limitPrice`);
  }
  if ((req.type === "stop" || req.type === "stop_limit") && !pos(req.stopPrice)) {
    return bad("stopPrice", `${req.type} needs a positive stopPrice`);
  }
  if (req.type === "trailing_stop" && !(pos(req.trailFraction) && req.trailFraction! < 1)) {
    return bad("trailFraction", "trailing_stop needs a trailFraction in (0, 1)");
  }
  const cls = req.orderClass ?? "simple";
  if (cls === "bracket" || cls === "oco") {
    if (!req.takeProfit || !pos(req.takeProfit.limitPrice)) {
      return {
        rule: `${cls}.needs_both_legs`,
        reason: `${cls} needs takeProfit.limitPrice (a positive price)`,
      };
    }
    if (!req.stopLoss || !pos(req.stopLoss.stopPrice)) {
      return {
        rule: `${cls}.needs_both_legs`,
        reason: `${cls} needs stopLoss.stopPrice (a positive price)`,
      };
    }
    if (cls === "bracket" && req.timeInForce !== "day" && req.timeInForce !== "gtc") {
      return {
        rule: "bracket.time_in_force",
        reason: `bracket orders take time in force day or gtc, got ${req.timeInForce}`,
      };
    }
    if (cls === "bracket" && req.type !== "market" && req.type !== "limit") {
      return { rule: "bracket.entry_type", reason: `bracket entry must be market or limit` };
    }
    if (cls === "oco" && req.type !== "limit") {
      return {
        rule: "oco.limit_type",
        reason:
          `an OCO is limit-type: its first leg is the take-profit limit, got type ${req.type}`,
      };
    }
    // geometry: for a long exit (sell) TP above SL; for a short exit (buy) TP below SL
    const tp = req.takeProfit.limitPrice!, sl = req.stopLoss.stopPrice!;
    const exitSide = cls === "bracket" ? (req.side === "buy" ? "sell" : "buy") : req.side;
    if (exitSide === "sell" ? !(tp > sl) : !(tp < sl)) {
      return {
        rule: `${cls}.leg_prices`,
        reason: `take-profit ${tp} must be ${
          exitSide === "sell" ? "above" : "below"
        } stop-loss ${sl} for a ${exitSide} exit`,
      };
    }
  } else if (req.takeProfit || req.stopLoss) {
    return bad("orderClass", "takeProfit/stopLoss legs need orderClass bracket or oco");
  }
  return null;
}

/**
 * The venue's constraints for `req`. `positionQty` is the signed current position in the
 * symbol (used for the exit-only rule of OCO orders). Null when allowed.
 */
export function venueRefusal(venue: Venue, req: OrderRequest, positionQty: number): Refusal | null {
  const cls = req.orderClass ?? "simple";
  if (cls === "oco") {
    const exits = req.side === "sell" ? positionQty > 0 : positionQty < 0;
    if (!exits || req.qty > Math.abs(positionQty) + 1e-12) {
      return {
        rule: "oco.exit_only",
        reason: `an OCO only exits an existing position: ${req.side} ${req.qty} ${req.symbol} ` +
          `against a position of ${positionQty}`,
      };
    }
  }
  if (venue === "alpaca") {
    if (isOptionSymbol(req.symbol)) {
      if (cls !== "simple") {
        return {
          rule: "alpaca.options_simple_only",
          reason: `Alpaca options orders are simple or mleg only (no bracket, OCO or OTO): ` +
            `refused ${cls} on ${req.symbol}; manage take-profit/stop-loss client-side`,
        };
      }
      if (req.type === "stop" || req.type === "trailing_stop") {
        return {
          rule: "alpaca.options_order_type",
          reason: `Alpaca options take market, limit or stop_limit orders, got ${req.type}`,
        };
      }
      if (req.timeInForce !== "day") {
        return {
          rule: "alpaca.options_time_in_force",
          reason: `Alpaca options orders are day orders, got ${req.timeInForce}`,
        };
      }
    }
  }
  if (venue === "binanceusdm") {
    if (cls !== "simple") {
      return {
        rule: "binanceusdm.no_linked_orders",
        reason: `Binance USDⓈ-M has no native ${cls}: its conditional orders are not linked; ` +
          `send the entry and manage the exits client-side`,
      };
    }
    if (req.timeInForce === "day") {
      return {
        rule: "binanceusdm.time_in_force",
        reason: "Binance USDⓈ-M has no day orders: use gtc or ioc",
      };
    }
    if (req.type === "trailing_stop") {
      return {
        rule: "binanceusdm.order_type",
        reason: "trailing_stop is not supported by this adapter",
      };
    }
  }
  return null;
}
