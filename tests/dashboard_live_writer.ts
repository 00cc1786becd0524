/**
 * A stand-in for the paper loop in the dashboard's live tests: a separate process writing a
 * journal through the real `Journal` API the way the loop does (bar, decision, order intent
 * before the broker, broker ack, fill, position and equity snapshots, closed trades, risk
 * events; one transaction per record), and stopping like the loop when its kill switch is set
 * (journals `observed`, flattens with a fill per open position, journals `stop`).
 *
 * Decisions carry `tsMs` = the wall clock at the write (a live loop's system clock), so a test
 * can measure journal write → page.
 *
 * usage: deno run -A tests/dashboard_live_writer.ts --journal <file> [--steps 100000]
 *   [--interval-ms 150] [--agents 2] [--busy-timeout-ms 5000]
 * Prints one JSON line at the end: {steps, commits, busyErrors, commitMs: {median, p99, max},
 * killed}.
 */
import { parseArgs } from "node:util";
import { Journal, KillSwitchMonitor } from "../lib/live/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    journal: { type: "string" },
    steps: { type: "string", default: "100000" },
    "interval-ms": { type: "string", default: "150" },
    agents: { type: "string", default: "2" },
    "busy-timeout-ms": { type: "string", default: "5000" },
  },
});
if (!values.journal) throw new Error("--journal is required");
const steps = Number(values.steps);
const interval = Number(values["interval-ms"]);
const nAgents = Number(values.agents);
const j = Journal.open(values.journal, {
  busyTimeoutMs: Number(values["busy-timeout-ms"]),
  synchronous: "NORMAL",
});
const kill = new KillSwitchMonitor(j);

// deterministic pseudo-random walk (seeded LCG)
let seed = 12345;
const rnd = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

const commitMs: number[] = [];
let busyErrors = 0;
/** One journal write, timed; SQLITE_BUSY is counted, not fatal (the test asserts on it). */
function w<T>(fn: () => T): T | undefined {
  const t0 = performance.now();
  try {
    return fn();
  } catch (e) {
    if (/busy|locked/i.test((e as Error).message)) {
      busyErrors++;
      return undefined;
    }
    throw e;
  } finally {
    commitMs.push(performance.now() - t0);
  }
}

const agents = Array.from({ length: nAgents }, (_, i) => ({
  name: `agent-${String.fromCharCode(97 + i)}`,
  symbol: i % 2 ? "QQQ" : "SPY",
  equity: 2000,
  pos: 0,
  entry: 0,
  entryMs: 0,
  price: 400 + 50 * i,
}));
const t0 = Date.now();
for (const a of agents) {
  w(() =>
    j.registerAgent({
      agent: a.name,
      symbol: a.symbol,
      createdMs: t0,
      config: { risk: "spec", exits: "spec" },
    })
  );
}
w(() => j.recordLoopEvent({ tsMs: t0, kind: "start", detail: { pid: Deno.pid } }));

const KINDS = ["acted", "held", "smoothed_away", "blocked", "acted", "exited"] as const;
const REASONS: Record<string, string | null> = {
  acted: null,
  held: null,
  smoothed_away: "EMA smoothing (α 0.3) kept the position",
  blocked: "spread 0.42 % > limit 0.30 % (circuit breaker)",
  exited: "ladder level tp1 (+1.5 %)",
};
let killed = false;
let step = 0;
const BAR_MS = 300_000;
for (; step < steps; step++) {
  const now = Date.now();
  const barTime = t0 - (t0 % BAR_MS) + step * BAR_MS;
  if (kill.check(now)) {
    // flatten and stop, as the loop does
    for (const a of agents) {
      if (a.pos === 0) continue;
      const id = `kill-${a.name}-${step}`;
      const side = a.pos > 0 ? "sell" : "buy";
      w(() =>
        j.recordOrderIntent({
          clientOrderId: id,
          agent: a.name,
          symbol: a.symbol,
          side,
          qty: Math.abs(a.pos),
          type: "market",
          reason: "kill_switch",
          createdMs: now,
        })
      );
      w(() =>
        j.recordFill({
          fillId: `f-${id}`,
          clientOrderId: id,
          agent: a.name,
          symbol: a.symbol,
          side,
          qty: Math.abs(a.pos),
          price: a.price,
          tsMs: now,
        })
      );
      w(() =>
        j.recordTrade({
          agent: a.name,
          symbol: a.symbol,
          side: a.pos > 0 ? "long" : "short",
          qty: Math.abs(a.pos),
          entryMs: a.entryMs,
          exitMs: now,
          entryPrice: a.entry,
          exitPrice: a.price,
          pnl: (a.price - a.entry) * a.pos,
          exitReason: "kill_switch",
        })
      );
      a.pos = 0;
      w(() =>
        j.recordPosition({ tsMs: now, agent: a.name, symbol: a.symbol, qty: 0, source: "journal" })
      );
    }
    w(() => j.recordKillSwitchEvent({ tsMs: now, action: "flattened", source: "loop" }));
    w(() => j.recordLoopEvent({ tsMs: now, kind: "stop", detail: { reason: "kill_switch" } }));
    killed = true;
    break;
  }
  for (const a of agents) {
    a.price *= 1 + (rnd() - 0.5) * 0.004;
    w(() =>
      j.recordBar({
        symbol: a.symbol,
        interval: "5m",
        openTimeMs: barTime,
        open: a.price,
        high: a.price * 1.001,
        low: a.price * 0.999,
        close: a.price,
        volume: 1000,
        receivedMs: now,
      })
    );
    const kind = KINDS[(step + agents.indexOf(a)) % KINDS.length];
    const target = kind === "acted" ? (a.pos === 0 ? 2 : 0) : kind === "exited" ? 0 : a.pos;
    const decisionId = w(() =>
      j.recordDecision({
        tsMs: Date.now(),
        agent: a.name,
        symbol: a.symbol,
        barTimeMs: barTime,
        obsHash: `h${step}`,
        action: kind === "acted" ? 2 : 1,
        smoothedAction: kind === "smoothed_away" ? 0.4 : null,
        probs: [0.2, 0.3, 0.5],
        decision: kind,
        reason: REASONS[kind],
        targetPosition: target,
      })
    );
    if (kind === "blocked") {
      w(() =>
        j.recordRiskEvent({
          tsMs: now,
          agent: a.name,
          rule: "spread",
          action: "deny",
          detail: { reason: REASONS.blocked },
        })
      );
    }
    if (target !== a.pos) {
      const id = `o-${a.name}-${step}`;
      const qty = Math.abs(target - a.pos);
      const side = target > a.pos ? "buy" : "sell";
      w(() =>
        j.recordOrderIntent({
          clientOrderId: id,
          agent: a.name,
          symbol: a.symbol,
          side,
          qty,
          type: "market",
          decisionId: decisionId ?? null,
          createdMs: now,
        })
      );
      w(() =>
        j.recordBrokerResponse({
          tsMs: now,
          clientOrderId: id,
          kind: "submit_ack",
          status: "accepted",
          brokerOrderId: `b-${id}`,
        })
      );
      w(() =>
        j.recordFill({
          fillId: `f-${id}`,
          clientOrderId: id,
          agent: a.name,
          symbol: a.symbol,
          side,
          qty,
          price: a.price,
          fee: 0.01,
          tsMs: now,
        })
      );
      if (target === 0) {
        const pnl = (a.price - a.entry) * a.pos - 0.02;
        w(() =>
          j.recordTrade({
            agent: a.name,
            symbol: a.symbol,
            side: "long",
            qty: a.pos,
            entryMs: a.entryMs,
            exitMs: now,
            entryPrice: a.entry,
            exitPrice: a.price,
            pnl,
            fees: 0.02,
            exitReason: kind === "exited" ? "ladder_level_1" : "signal",
          })
        );
        a.equity += pnl;
      } else {
        a.entry = a.price;
        a.entryMs = now;
      }
      a.pos = target;
    }
    if (step % 10 === 3) {
      // a resting limit order stays open until the next one replaces it
      w(() =>
        j.recordOrderIntent({
          clientOrderId: `lim-${a.name}-${step}`,
          agent: a.name,
          symbol: a.symbol,
          side: "buy",
          qty: 1,
          type: "limit",
          limitPrice: Math.round(a.price * 0.98 * 100) / 100,
          timeInForce: "day",
          reason: "resting bid",
          createdMs: now,
        })
      );
    }
    const unreal = (a.price - a.entry) * a.pos;
    w(() =>
      j.recordPosition({
        tsMs: now,
        agent: a.name,
        symbol: a.symbol,
        qty: a.pos,
        avgPrice: a.pos ? a.entry : null,
        unrealizedPnl: unreal,
        source: "journal",
      })
    );
    w(() =>
      j.recordEquity({
        tsMs: now,
        agent: a.name,
        equity: a.equity + unreal,
        cash: a.equity - a.pos * a.entry,
        unrealizedPnl: unreal,
      })
    );
  }
  if (interval > 0) await new Promise((r) => setTimeout(r, interval));
}
j.close();
const s = [...commitMs].sort((a, b) => a - b);
const q = (p: number) => s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : 0;
console.log(JSON.stringify({
  steps: step,
  commits: commitMs.length,
  busyErrors,
  commitMs: { median: q(0.5), p99: q(0.99), max: s.at(-1) ?? 0 },
  killed,
}));
