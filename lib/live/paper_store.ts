/**
 * A {@link PaperBroker} whose state survives `kill -9`: every input that changes the broker
 * (a bar, a submit, a cancel) is appended to the broker's OWN SQLite log (`<journal>.broker.sqlite`,
 * WAL, committed before the input is applied), and a restart rebuilds the broker by replaying
 * the log into a fresh `PaperBroker` — which is deterministic (its time is the bar time, it
 * has no randomness), so the rebuilt state equals the state at the kill, fill for fill.
 *
 * Why a log of inputs and not a snapshot: the paper broker's private state (working orders,
 * OCO siblings, trailing extremes, the accounts) has no serialiser, and a log written before
 * each input is the paper equivalent of a venue that has received a request: if the process
 * dies after the write, the input counts as received (the restarted broker applies it), and
 * the loop — which never saw the answer — finds the order by client id during reconciliation.
 * This file is the "broker's own record" the kill tests check the journal against; it is
 * separate from the journal so one cannot be repaired from the other.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import {
  type AccountInfo,
  type Broker,
  type MarketClock,
  type Order,
  type OrderRequest,
  type PaperBar,
  PaperBroker,
  type PaperBrokerOptions,
  type PaperFill,
  type Position,
  type ReplaceRequest,
} from "../broker/mod.ts";

type Input =
  | { kind: "bar"; symbol: string; bar: PaperBar }
  | { kind: "submit"; req: OrderRequest }
  | { kind: "cancel"; clientOrderId: string }
  | { kind: "replace"; clientOrderId: string; changes: ReplaceRequest };

const PAPER_BROKER_STORE_SUFFIX = ".broker.sqlite";

/**
 * Where a paper session keeps agent `agent`'s sub-account log next to its journal:
 * `<journal>.<agent>.broker.sqlite`.
 */
export function paperBrokerStorePath(journalPath: string, agent: string): string {
  return `${journalPath}.${agent}${PAPER_BROKER_STORE_SUFFIX}`;
}

/** True when `path` names a paper broker's log ({@link paperBrokerStorePath}), not a journal. */
export function isPaperBrokerStore(path: string): boolean {
  return path.endsWith(PAPER_BROKER_STORE_SUFFIX);
}

/** The paper broker with its inputs logged to `path` (see the module docs). */
export class PersistentPaperBroker implements Broker {
  /** Always `paper`. */
  readonly venue = "paper" as const;
  /** The log file. */
  readonly path: string;
  /** The wrapped broker (read its accounts and fills; trade through this object). */
  readonly inner: PaperBroker;
  readonly #db: DatabaseSync;
  readonly #lastBar = new Map<string, number>();
  /** Inputs replayed from the log when it was opened. */
  readonly replayed: number;

  /**
   * Open (or create) the log at `path` and replay it into a fresh broker built with
   * `options` (the options must be the same on every restart).
   */
  constructor(path: string, options: PaperBrokerOptions) {
    this.path = path;
    this.inner = new PaperBroker(options);
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL");
    this.#db.exec("PRAGMA synchronous = NORMAL");
    this.#db.exec(
      "CREATE TABLE IF NOT EXISTS inputs (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL)",
    );
    const rows = this.#db.prepare("SELECT kind, body FROM inputs ORDER BY seq").all() as {
      kind: string;
      body: string;
    }[];
    for (const r of rows) this.#apply(JSON.parse(r.body) as Input);
    this.replayed = rows.length;
  }

  /** Close the log. */
  close(): void {
    this.#db.close();
  }

  #log(input: Input): void {
    this.#db.prepare("INSERT INTO inputs (kind, body) VALUES (?, ?)").run(
      input.kind,
      JSON.stringify(input),
    );
  }

  #apply(input: Input): Promise<unknown> | void {
    switch (input.kind) {
      case "bar":
        this.#lastBar.set(input.symbol, input.bar.time);
        this.inner.onBar(input.symbol, input.bar);
        return;
      case "submit":
        return this.inner.submit(input.req).catch(() => undefined);
      case "cancel":
        return this.inner.cancel(input.clientOrderId).catch(() => undefined);
      case "replace":
        return this.inner.replace(input.clientOrderId, input.changes).catch(() => undefined);
    }
  }

  /** Open time of the last bar fed for `symbol` (UTC ms), or null. */
  lastBarTime(symbol: string): number | null {
    return this.#lastBar.get(symbol) ?? null;
  }

  /** Feed a bar (logged first). A bar not newer than the last one fed is ignored. */
  onBar(symbol: string, bar: PaperBar): void {
    const last = this.#lastBar.get(symbol);
    if (last !== undefined && bar.time <= last) return;
    this.#log({ kind: "bar", symbol, bar });
    this.#lastBar.set(symbol, bar.time);
    this.inner.onBar(symbol, bar);
  }

  /** Every fill of the broker, in order (its own record). */
  get fills(): PaperFill[] {
    return this.inner.fills;
  }

  /** Submit (logged first, then applied). */
  submit(req: OrderRequest): Promise<Order> {
    this.#log({ kind: "submit", req });
    return this.inner.submit(req);
  }

  /** Cancel (logged first). */
  cancel(clientOrderId: string): Promise<Order> {
    this.#log({ kind: "cancel", clientOrderId });
    return this.inner.cancel(clientOrderId);
  }

  /** Replace (logged first). */
  replace(clientOrderId: string, changes: ReplaceRequest): Promise<Order> {
    this.#log({ kind: "replace", clientOrderId, changes });
    return this.inner.replace(clientOrderId, changes);
  }

  /** Look an order up by client id. */
  getOrder(clientOrderId: string): Promise<Order | null> {
    return this.inner.getOrder(clientOrderId);
  }

  /** Open or all orders. */
  getOrders(options?: { status?: "open" | "all" }): Promise<Order[]> {
    return this.inner.getOrders(options);
  }

  /** Positions. */
  getPositions(): Promise<Position[]> {
    return this.inner.getPositions();
  }

  /** Account. */
  getAccount(): Promise<AccountInfo> {
    return this.inner.getAccount();
  }

  /** Clock. */
  getClock(): Promise<MarketClock> {
    return this.inner.getClock();
  }
}
