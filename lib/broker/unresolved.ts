/**
 * Unresolved orders: submits whose outcome is unknown (timeout, 5xx, dropped connection,
 * unparseable reply, Binance −1006/−1007). They are persisted through an injectable store,
 * shown, and block new exposure on their symbol until a lookup by client id or a
 * reconciliation settles them. Never turned into "rejected" by assumption.
 *
 * The file store holds only order facts (client id, symbol, side, qty, reason, time) — never
 * credentials.
 *
 * @module
 */
import { writeFileAtomic } from "../util/mod.ts";
import { ToolkitError } from "../util/mod.ts";
import type { OrderRequest } from "./types.ts";

/** One unresolved submit. */
export interface UnresolvedOrder {
  clientOrderId: string;
  symbol: string;
  side: "buy" | "sell";
  qty: number;
  /** The request as sent (for resubmission decisions and display). */
  request: OrderRequest;
  /** Why it is unresolved (the last failure). */
  reason: string;
  /** When the first submit was sent, UTC ms. */
  sinceMs: number;
}

/** Where unresolved orders are persisted. */
export interface UnresolvedStore {
  /** Every unresolved order. */
  list(): Promise<UnresolvedOrder[]>;
  /** Add or replace one (by client id). */
  put(u: UnresolvedOrder): Promise<void>;
  /** Forget one once settled. */
  remove(clientOrderId: string): Promise<void>;
}

/** In-memory store (tests, paper runs). */
export class MemoryUnresolvedStore implements UnresolvedStore {
  readonly #m = new Map<string, UnresolvedOrder>();
  list(): Promise<UnresolvedOrder[]> {
    return Promise.resolve([...this.#m.values()].map((u) => structuredClone(u)));
  }
  put(u: UnresolvedOrder): Promise<void> {
    this.#m.set(u.clientOrderId, structuredClone(u));
    return Promise.resolve();
  }
  remove(clientOrderId: string): Promise<void> {
    this.#m.delete(clientOrderId);
    return Promise.resolve();
  }
}

/** JSON-file store, written atomically (temp + rename) on every change. */
export class FileUnresolvedStore implements UnresolvedStore {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
  async #read(): Promise<UnresolvedOrder[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
    try {
      const v = JSON.parse(text);
      if (!Array.isArray(v)) throw new Error("not an array");
      return v as UnresolvedOrder[];
    } catch (e) {
      throw new ToolkitError(`unresolved-order store is not valid JSON: ${(e as Error).message}`, {
        file: this.path,
      }, "inspect it by hand: these orders may be live at the venue");
    }
  }
  list(): Promise<UnresolvedOrder[]> {
    return this.#read();
  }
  async put(u: UnresolvedOrder): Promise<void> {
    const all = (await this.#read()).filter((x) => x.clientOrderId !== u.clientOrderId);
    all.push(u);
    await writeFileAtomic(this.path, JSON.stringify(all, null, 1));
  }
  async remove(clientOrderId: string): Promise<void> {
    const all = await this.#read();
    const rest = all.filter((x) => x.clientOrderId !== clientOrderId);
    if (rest.length !== all.length) await writeFileAtomic(this.path, JSON.stringify(rest, null, 1));
  }
}
