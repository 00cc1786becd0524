/// <reference lib="dom" />
/**
 * The Live page end to end in Debian's Chromium (puppeteer-core), while a separate process
 * writes the journal through the real `Journal` API the way the paper loop does
 * (`dashboard_live_writer.ts`: decisions of every outcome, orders, fills, positions, equity,
 * trades, risk events; it stops like the loop when its kill switch is set):
 * - the page follows the journal over SSE: new decisions appear on top with their outcome and
 *   reason, the equity and drawdown charts grow (asserted on the drawn plotly SVG), the
 *   agents, positions, open orders, risk and per-agent performance tables and the report
 *   links are filled;
 * - journal write → decision row on the page is measured (median/p95, one JSON line);
 * - the kill switch asks first (dismissed: nothing set), then sets the same state as
 *   `deno task paper:kill` (`readKillSwitch`, source `dashboard`, journaled); the page shows
 *   it, the writer flattens and stops, and the page shows the flat positions and the stop.
 *
 * Screenshots: on a failing step one PNG is saved (path printed); set
 * RLT_DASHBOARD_SHOTS=<folder> to keep one per step.
 * Skipped (with a message) when /usr/bin/chromium is absent; `.ci/run` installs it.
 * Cannot catch: the real paper loop's own timing (the writer stands in for it); latency is
 * printed, not asserted.
 *
 * Switching to the real loop (`deno task paper`, branch `paper`): write a run with
 * `writeTestRun(dir)` (tests/live_fixture.ts) and spawn `cli/paper.ts --run <dir> --speed
 * 1200x --journal <root>/journals/paper-a.sqlite` instead of the writer (a few bars a second;
 * it journals `start`/`stop` loop events and reacts to the kill file like the writer). A replay
 * stamps decisions with bar time: filter the latency rows by `commits.seenAt` (commit seen
 * after `openedAt`) instead of `tsMs`, and keep only `commitSeenToDrawn`. The outcome
 * assertions (blocked/exited/smoothed rows with their reasons) hold only if the run's policy
 * and the risk/exit presets produce them within the bars replayed: keep "every row carries a
 * known outcome label" and the reason checks for the labels that occur.
 */
import assert from "node:assert/strict";
import { startDashboard } from "@lib/dashboard/mod.ts";
import { Journal, readKillSwitch } from "@lib/live/mod.ts";
import { type Browser, chromiumAvailable, launchBrowser, type Page } from "./dashboard_fixtures.ts";

const HAVE_CHROMIUM = chromiumAvailable();
if (!HAVE_CHROMIUM) {
  console.warn("dashboard_live_browser_e2e_test: /usr/bin/chromium missing, skipped");
}

const ROOT = new URL("..", import.meta.url).pathname;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const stats = (xs: number[]) => ({
  n: xs.length,
  median: quantile(xs, 0.5),
  p95: quantile(xs, 0.95),
  max: Math.max(...xs),
});

/** Line vertices drawn per trace of plotly charts (the SVG path, not the data), in one go. */
function vertices(page: Page, ...sels: string[]): Promise<number[][]> {
  return page.evaluate(
    (ss: string[]) =>
      ss.map((s) =>
        [...document.querySelectorAll(`${s} .scatterlayer .trace`)].map((t) => {
          const d = t.querySelector("path.js-line")?.getAttribute("d") ?? "";
          return d ? d.split(/[ML]/).filter((x) => x.trim()).length : 0;
        })
      ),
    sels,
  );
}

function cells(page: Page, sel: string): Promise<string[][]> {
  return page.evaluate(
    (s: string) =>
      [...document.querySelectorAll(`${s} tbody tr`)].map((tr) =>
        [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")
      ),
    sel,
  );
}

/**
 * When each decision became visible to a reader (a read-only connection in this process
 * polling every 5 ms: at most ~5 ms after its commit). Independent of the writer's clock, so
 * it also works for a loop that stamps rows with bar time (a replay).
 */
function commitObserver(path: string): { seenAt: Map<number, number>; stop: () => void } {
  const seenAt = new Map<number, number>();
  let j: Journal | null = null;
  let cursor = 0;
  const timer = setInterval(() => {
    try {
      j ??= Journal.open(path, { readOnly: true, busyTimeoutMs: 0 });
      const page = j.since("decisions", cursor, 1000);
      const now = Date.now();
      for (const r of page.rows) seenAt.set(Number(r.id), now);
      cursor = page.nextId;
    } catch { /* not created yet, or busy: next tick */ }
  }, 5);
  return {
    seenAt,
    stop: () => {
      clearInterval(timer);
      j?.close();
    },
  };
}

interface Probe {
  decisions: { id: number; tsMs: number; receivedAt: number; renderedAt: number }[];
  snapshots: number;
  frames: { waitMs?: number; decisionsMs?: number; chartsMs?: number; stateMs?: number }[];
}
const probe = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { __live: Probe }).__live);

Deno.test({
  name:
    "dashboard Live page in Chromium: decisions arrive over SSE while a writer process journals; the kill switch stops it",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const root = await Deno.makeTempDir({ prefix: "dash-live-b-" });
    await Deno.mkdir(`${root}/models`);
    await Deno.mkdir(`${root}/journals`);
    const journal = `${root}/journals/paper-a.sqlite`;
    const shots = Deno.env.get("RLT_DASHBOARD_SHOTS") ??
      await Deno.makeTempDir({ prefix: "dash-shots-" });
    const keepShots = Deno.env.get("RLT_DASHBOARD_SHOTS") !== undefined;
    // the stand-in loop: a bar every 150 ms for two agents, until the kill switch is set
    const loop = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "tests/dashboard_live_writer.ts",
        "--journal",
        journal,
        "--interval-ms",
        "150",
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const loopOut = loop.output();
    const commits = commitObserver(journal);
    let loopDone = false;
    const d = await startDashboard({
      models: `${root}/models`,
      journals: [`${root}/journals`],
      port: 0,
    });
    let b: { browser: Browser; close: () => Promise<void> } | null = null;
    const pageErrors: string[] = [];
    let shotTaken = false;
    try {
      // wait for the loop's first rows
      for (let i = 0; i < 300; i++) {
        try {
          const j = Journal.open(journal, { readOnly: true });
          const n = j.count("decisions");
          j.close();
          if (n > 0) break;
        } catch { /* not created yet */ }
        await new Promise((r) => setTimeout(r, 100));
      }
      b = await launchBrowser();
      const page = await b.browser.newPage();
      await page.setViewport({ width: 1300, height: 1000 });
      page.on("pageerror", (e: Error) => pageErrors.push(e.message));
      page.on("console", (m: { type(): string; text(): string }) => {
        if (m.type() === "error") pageErrors.push(m.text());
      });
      const offsite: string[] = [];
      page.on("request", (r: { url(): string }) => {
        const u = r.url();
        if (!u.startsWith(d.url) && !u.startsWith("data:") && !u.startsWith("blob:")) {
          offsite.push(u);
        }
      });
      let answer = false;
      page.on("dialog", (dlg: { accept(): Promise<void>; dismiss(): Promise<void> }) => {
        void (answer ? dlg.accept() : dlg.dismiss());
      });
      const step = (name: string, fn: () => Promise<void>) =>
        t.step(name, async () => {
          const file = `${shots}/live_${name.replace(/[^a-z0-9]+/gi, "_")}.png`;
          try {
            await fn();
            if (keepShots) await page.screenshot({ path: file, fullPage: true });
          } catch (e) {
            await page.screenshot({ path: file, fullPage: true }).catch(() => {});
            shotTaken = true;
            console.error(`screenshot of the failing step: ${file}`);
            throw e;
          }
        });

      let openedAt = 0;
      await step("the Live page follows the journal over SSE", async () => {
        await page.goto(`${d.url}/live`, { waitUntil: "load" }); // one journal: redirected
        assert.ok(page.url().endsWith("/live/paper-a"), page.url());
        await page.waitForFunction(
          () => document.querySelectorAll("#live-decisions-body tr").length > 0,
          { timeout: 20_000 },
        );
        openedAt = Date.now();
        await page.waitForSelector("#live-equity .scatterlayer .trace", { timeout: 20_000 });
        const [m0] = await vertices(page, "#live-equity");
        const rows0 = await page.evaluate(() =>
          document.querySelectorAll("#live-decisions-body tr").length
        );
        // 40 more decisions pushed by the stream (20 bars × 2 agents)
        await page.waitForFunction(
          (since: number) =>
            (globalThis as unknown as { __live: Probe }).__live.decisions.filter((x) =>
              x.tsMs > since
            ).length >= 40,
          { timeout: 30_000 },
          openedAt,
        );
        // the charts are drawn in a task after the rows: wait until both caught up
        await page.waitForFunction(
          () => {
            const n = (s: string) =>
              [...document.querySelectorAll(`${s} .scatterlayer .trace path.js-line`)].map((p) =>
                (p.getAttribute("d") ?? "").split(/[ML]/).length
              ).join();
            return n("#live-equity") === n("#live-drawdown");
          },
          { timeout: 10_000 },
        );
        const [m1, dd] = await vertices(page, "#live-equity", "#live-drawdown");
        assert.equal(m1.length, 2, "one equity trace per agent");
        assert.ok(m1[0] > m0[0] && m1[1] > m0[1], `equity line vertices ${m0} → ${m1}`);
        assert.deepEqual(dd, m1, "a drawdown point for every equity point");
        const rows = await cells(page, "#live-decisions");
        assert.ok(rows.length > rows0, `decision rows ${rows0} → ${rows.length}`);
        // newest on top, ids descending, every outcome labelled with its reason
        const ids = rows.map((r) => Number(r[0]));
        assert.deepEqual(ids, [...ids].sort((x, y) => y - x));
        const outcome = (label: string) => rows.filter((r) => r[6] === label);
        assert.ok(outcome("acted").length > 0);
        assert.ok(outcome("smoothed").every((r) => /EMA smoothing/.test(r[7])));
        assert.ok(
          outcome("blocked by rule").some((r) => /^spread .* \(circuit breaker\)$/.test(r[7])),
        );
        assert.ok(outcome("exited by ladder level").some((r) => /ladder level tp1/.test(r[7])));
        assert.ok(outcome("smoothed").length > 0 && outcome("held").length > 0);
        // the tables of the state
        const agents = await cells(page, "#live-agents");
        assert.deepEqual(agents.slice(0, 2).map((r) => r[0]), ["agent-a", "agent-b"]);
        assert.match(agents[0][2], /^\d+\.\d\d$/, "equity shown");
        assert.equal(agents[2][0], "all agents");
        const risk = await cells(page, "#live-risk-agents");
        assert.deepEqual(risk.map((r) => [r[0], r[2], r[4]]), [
          ["agent-a", "2.00 %", "3"],
          ["agent-b", "2.00 %", "3"],
        ]);
        const events = await cells(page, "#live-risk-events");
        assert.ok(events.some((r) => r[2] === "spread" && r[3] === "deny"));
        const orders = await cells(page, "#live-orders");
        assert.ok(orders.some((r) => r[6] === "limit" && r[9] === "pending_submit"), "open orders");
        const pos = await cells(page, "#live-positions");
        assert.deepEqual(pos.map((r) => r[0]), ["agent-a", "agent-b"]);
        await page.waitForSelector("#live-metrics-table tbody tr", { timeout: 10_000 });
        const reports = await page.evaluate(() =>
          [...document.querySelectorAll("#live-report-links a")].map((a) => a.getAttribute("href"))
        );
        assert.ok(
          reports.length === 1 && /^\/live\/paper-a\/reports\/\d{4}-\d\d-\d\d$/.test(reports[0]!),
          `report links: ${reports}`,
        );
        assert.equal(
          await page.evaluate(() => document.getElementById("kill-state")?.dataset.set),
          "false",
        );
        if (keepShots) {
          await page.screenshot({ path: `${shots}/live_page_running.png`, fullPage: true });
        }
        const p = await probe(page);
        const mine = p.decisions.filter((x) => x.tsMs > openedAt && commits.seenAt.has(x.id));
        const seen = (x: { id: number }) => commits.seenAt.get(x.id)!;
        console.log(JSON.stringify({
          measure: "journal write → Live page, ms (decision committed by another process)",
          loadAverage1m: Deno.loadavg()[0],
          // from the writer's wall-clock stamp taken just before the commit
          writeToEventInPage: stats(mine.map((x) => x.receivedAt - x.tsMs)),
          writeToDrawn: stats(mine.map((x) => x.renderedAt - x.tsMs)),
          // from the moment a 5 ms poller first saw the committed row (clock-independent)
          commitSeenToDrawn: stats(mine.map((x) => x.renderedAt - seen(x))),
          snapshots: p.snapshots,
          frameMs: {
            waitForFrame: stats(p.frames.flatMap((f) => f.waitMs ?? [])),
            decisions: stats(p.frames.flatMap((f) => f.decisionsMs ?? [])),
            state: stats(p.frames.flatMap((f) => f.stateMs ?? [])),
            chartsTask: stats(p.frames.flatMap((f) => f.chartsMs ?? [])),
          },
        }));
        assert.equal(p.snapshots, 1, "no reconnect while the journal grew");
      });

      await step(
        "the kill switch asks first, then sets paper:kill's state; the loop flattens and stops",
        async () => {
          await page.evaluate(() => scrollTo(0, 0));
          await page.click("#kill-btn");
          await page.waitForFunction(
            () => document.getElementById("kill-result")?.textContent === "cancelled",
            { timeout: 10_000 },
          );
          assert.equal(readKillSwitch(journal), null, "a dismissed dialog sets nothing");
          answer = true;
          await page.click("#kill-btn");
          await page.waitForFunction(
            () => /kill switch set/.test(document.getElementById("kill-result")?.textContent ?? ""),
            { timeout: 10_000 },
          );
          const ks = readKillSwitch(journal);
          assert.equal(ks?.source, "dashboard");
          assert.equal(ks?.reason, "kill switch pressed in the dashboard");
          // pushed to the page, then the loop's reaction: observed, flattened, stopped
          await page.waitForFunction(
            () => document.getElementById("kill-state")?.dataset.set === "true",
            { timeout: 10_000 },
          );
          await page.waitForFunction(
            () =>
              /loop: stopped at .* \(kill_switch\)/.test(
                document.getElementById("live-head")?.textContent ?? "",
              ),
            { timeout: 20_000 },
          );
          const out = await loopOut;
          loopDone = true;
          assert.ok(out.success, new TextDecoder().decode(out.stderr));
          const res = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
          assert.equal(res.killed, true);
          await page.waitForFunction(
            () =>
              [...document.querySelectorAll("#live-positions tbody tr")].every((tr) =>
                tr.querySelectorAll("td")[2]?.textContent === "0"
              ),
            { timeout: 10_000 },
          );
          const kills = await cells(page, "#live-kill-events");
          assert.deepEqual(
            kills.map((r) => [r[1], r[2]]),
            [["flattened", "loop"], ["observed", "dashboard"], ["set", "dashboard"]],
          );
          if (keepShots) {
            await page.screenshot({ path: `${shots}/live_page_killed.png`, fullPage: true });
          }
        },
      );

      assert.deepEqual(pageErrors, [], "no script errors in the page");
      assert.deepEqual(offsite, [], "no request left the dashboard's origin");
    } finally {
      commits.stop();
      if (!loopDone) {
        try {
          loop.kill("SIGKILL");
        } catch { /* exited */ }
        await loopOut.catch(() => {});
      }
      if (b) await b.close();
      for (let i = 0; i < 50 && d.watchedFolders > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const leaked = d.watchedFolders;
      await d.shutdown();
      await Deno.remove(root, { recursive: true }).catch(() => {});
      if (!keepShots && !shotTaken) await Deno.remove(shots, { recursive: true }).catch(() => {});
      assert.equal(leaked, 0, "file watchers left open after the browser closed");
    }
  },
});
