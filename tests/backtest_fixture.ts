/**
 * A tiny trading env for backtest tests: one contract per trade, a fee on notional, the
 * specification's observation layout (only the entries the baseline reads are filled), and
 * the same fill convention as the futures env (fill at bar t's close, mark at t + 1).
 */
import { Box, Discrete } from "../lib/env/spaces.ts";
import type { Env, ResetResult, StepResult } from "../lib/env/types.ts";
import type { AccountView } from "../lib/backtest/mod.ts";
import type { TradeRecord } from "../lib/metrics/mod.ts";

export interface FakeBars {
  close: number[];
  /** −1/0/1 per bar. */
  signal?: number[];
  confidence?: number[];
  divergence?: number[];
}

class FakeAccount implements AccountView {
  direction = 0;
  size = 0;
  entry = 0;
  balance: number;
  markPrice = 0;
  time = 0;
  bar = 0;
  feesPaid = 0;
  fundingPaid = 0;
  tradeFees = 0;
  entryBar = 0;
  entryTime = 0;
  list: TradeRecord[] = [];
  constructor(readonly initial: number, readonly feeRate: number) {
    this.balance = initial;
  }
  get equity(): number {
    return this.balance + this.size * (this.markPrice - this.entry) * this.direction;
  }
  get ledger(): { trades(): TradeRecord[] } {
    return { trades: () => this.list.map((t) => ({ ...t })) };
  }
  open(dir: 1 | -1): void {
    const fee = this.markPrice * this.feeRate;
    this.direction = dir;
    this.size = 1;
    this.entry = this.markPrice;
    this.balance -= fee;
    this.feesPaid += fee;
    this.tradeFees = fee;
    this.entryBar = this.bar;
    this.entryTime = this.time;
  }
  close(reason: string): void {
    const fee = this.markPrice * this.feeRate;
    const gross = (this.markPrice - this.entry) * this.direction;
    this.balance += gross - fee;
    this.feesPaid += fee;
    this.list.push({
      side: this.direction as 1 | -1,
      entryBar: this.entryBar,
      exitBar: this.bar,
      entryTime: this.entryTime,
      exitTime: this.time,
      entryPrice: this.entry,
      exitPrice: this.markPrice,
      size: 1,
      pnl: gross - this.tradeFees - fee,
      fees: this.tradeFees + fee,
      funding: 0,
      exitReason: reason,
    });
    this.direction = 0;
    this.size = 0;
    this.entry = 0;
  }
}

/** Fake env over `bars`; bar i has time `i × 5 min`. */
export class FakeTradingEnv implements Env<number> {
  readonly observationSpace = new Box(-10, 10, 20);
  readonly actionSpace = new Discrete(6);
  account: FakeAccount;
  #t = 0;
  #dur = 0;
  #obs = new Float64Array(20);
  constructor(readonly bars: FakeBars, readonly opts: { initial?: number; feeRate?: number } = {}) {
    this.account = new FakeAccount(opts.initial ?? 1000, opts.feeRate ?? 0);
  }
  #mark(): void {
    this.account.markPrice = this.bars.close[this.#t];
    this.account.bar = this.#t;
    this.account.time = this.#t * 300_000;
  }
  #writeObs(): Float64Array {
    const o = this.#obs;
    const a = this.account;
    const eq = a.equity;
    o.fill(0);
    o[0] = a.direction;
    o[1] = a.size * (a.markPrice - a.entry) * a.direction / eq;
    o[2] = Math.min(this.#dur / 100, 1);
    o[3] = this.bars.signal?.[this.#t] ?? 0;
    o[4] = this.bars.confidence?.[this.#t] ?? 0;
    o[9] = this.bars.divergence?.[this.#t] ?? 0;
    return o;
  }
  reset(): ResetResult {
    this.account = new FakeAccount(this.opts.initial ?? 1000, this.opts.feeRate ?? 0);
    this.#t = 0;
    this.#dur = 0;
    this.#mark();
    return { observation: this.#writeObs(), info: {} };
  }
  step(action: number): StepResult {
    const a = this.account;
    const before = a.equity;
    let executed = 0;
    if ((action === 1 || action === 2) && a.direction === 0) {
      a.open(action === 1 ? 1 : -1);
      this.#dur = 0;
      executed = 1;
    } else if (action === 3 && a.direction !== 0) {
      a.close("exit");
      this.#dur = 0;
      executed = 1;
    }
    this.#t++;
    this.#mark();
    if (a.direction !== 0) this.#dur++;
    const truncated = this.#t >= this.bars.close.length - 1;
    if (truncated && a.direction !== 0) a.close("end_of_data");
    const reward = a.equity - before;
    return {
      observation: this.#writeObs(),
      reward,
      terminated: false,
      truncated,
      info: { rewardPnl: reward, rewardAction: -0.05 * executed },
    };
  }
}
