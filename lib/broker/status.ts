/**
 * A broker status snapshot (account, positions, open orders, clock) and its text rendering,
 * for `deno task broker:status` and the dashboard.
 *
 * @module
 */
import type { AccountInfo, Broker, MarketClock, Order, Position, Venue } from "./types.ts";

/** Everything `broker:status` prints. */
export interface BrokerStatus {
  venue: Venue;
  account: AccountInfo;
  positions: Position[];
  openOrders: Order[];
  clock: MarketClock;
}

/** Read account, positions, open orders and clock (four calls, in that order). */
export async function brokerStatus(broker: Broker): Promise<BrokerStatus> {
  const account = await broker.getAccount();
  const positions = await broker.getPositions();
  const openOrders = await broker.getOrders({ status: "open" });
  const clock = await broker.getClock();
  return { venue: broker.venue, account, positions, openOrders, clock };
}

const iso = (ms: number | null): string =>
  ms === null ? "—" : Number.isFinite(ms) ? new Date(ms).toISOString() : "?";

/** Human-readable rendering of a {@link BrokerStatus} (no credentials in it by construction). */
export function formatBrokerStatus(s: BrokerStatus): string {
  const a = s.account;
  const lines = [
    `broker: ${s.venue}`,
    `account: status ${a.status}, equity ${a.equity.toFixed(2)} ${a.currency}, cash ${
      a.cash.toFixed(2)
    }, buying power ${a.buyingPower.toFixed(2)}`,
    `clock: ${s.clock.isOpen ? "open" : "closed"} at ${iso(s.clock.timeMs)}, next open ${
      iso(s.clock.nextOpenMs)
    }, next close ${iso(s.clock.nextCloseMs)}`,
    `positions (${s.positions.length}):`,
    ...s.positions.map((p) =>
      `  ${p.symbol} ${p.qty} @ ${p.avgEntryPrice} (mark ${p.markPrice}, unrealised ${
        p.unrealizedPnl.toFixed(2)
      })`
    ),
    `open orders (${s.openOrders.length}):`,
    ...s.openOrders.map((o) =>
      `  ${o.clientOrderId} ${o.side} ${o.qty} ${o.symbol} ${o.type}${
        o.limitPrice !== undefined ? ` limit ${o.limitPrice}` : ""
      }${
        o.stopPrice !== undefined ? ` stop ${o.stopPrice}` : ""
      } ${o.state} (filled ${o.filledQty})`
    ),
  ];
  return lines.join("\n");
}
