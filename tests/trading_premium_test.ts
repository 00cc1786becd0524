/**
 * The fully paid long (option premium) path of the one accounting model: quoted fills,
 * per-fill fees, cash limit, no liquidation, the ledger record and the equity identity.
 *
 * Cannot catch: a wrong quote passed in by the caller (the options env's tests check the
 * bid/ask it uses).
 */
import assert from "node:assert/strict";
import { Account, AccountField as F, ExitCode } from "@lib/trading/mod.ts";

Deno.test("openPaid/closeAt: premium paid at the ask, sold at the bid, fees per fill, ledger", () => {
  const a = new Account({ initialBalance: 10_000, minNotional: 0 });
  a.setClock(3, 1000);
  assert.ok(a.openPaid(2, { price: 505, fee: 1.3 })); // 2 contracts at 5.05 × 100
  a.mark(500); // mid 5.00
  assert.equal(a.direction, 1);
  assert.equal(a.size, 2);
  assert.equal(a.entryPrice, 505);
  assert.ok(Math.abs(a.equity - (10_000 - 1.3 - 2 * 5)) < 1e-9);
  // cash + size × mark = equity
  const cash = 10_000 - 2 * 505 - 1.3;
  assert.ok(Math.abs(cash + 2 * 500 - a.equity) < 1e-9);
  // never liquidated: liquidation price 0, distance 1
  const v = new Float64Array(14);
  a.readInto(v);
  assert.equal(v[F.LIQUIDATION_PRICE], 0);
  assert.equal(a.liquidateIfCrossed(1e9, 0), false);
  a.setClock(9, 4000);
  a.mark(700);
  assert.ok(a.closeAt({ price: 690, fee: 1.3 }, ExitCode.SESSION_CLOSE));
  assert.equal(a.direction, 0);
  const [t] = a.ledger.trades();
  assert.equal(t.exitReason, "session_close");
  assert.equal(t.entryBar, 3);
  assert.equal(t.exitBar, 9);
  assert.ok(Math.abs(t.grossPnl - 2 * 185) < 1e-9);
  assert.ok(Math.abs(t.fees - 2.6) < 1e-9);
  assert.ok(Math.abs(a.equity - (10_000 + 370 - 2.6)) < 1e-9);
  assert.equal(a.closeAt({ price: 1, fee: 0 }), false);
});

Deno.test("openPaid refuses what cash cannot pay, bad quotes and a second position", () => {
  const a = new Account({ initialBalance: 1000, minNotional: 0 });
  assert.equal(a.openPaid(2, { price: 500, fee: 1 }), false); // 1001 > 1000
  assert.equal(a.openPaid(1, { price: NaN, fee: 0 }), false);
  assert.equal(a.openPaid(1, { price: 10, fee: -1 }), false);
  assert.equal(a.openPaid(0, { price: 10, fee: 0 }), false);
  assert.ok(a.openPaid(1, { price: 999, fee: 1 }));
  assert.equal(a.openPaid(1, { price: 1, fee: 0 }), false);
  const b = new Account({ initialBalance: 1000, minNotional: 100 });
  assert.equal(b.openPaid(1, { price: 50, fee: 0 }), false);
  assert.equal(b.lastOrderBelowMinimum, true);
});
