/// <reference lib="dom" />
/**
 * The dashboard end to end in Debian's Chromium (puppeteer-core): the runs table sorts;
 * a run page opened while a real `train` process writes the run shows the curves grow
 * (asserted on the DOM and on the drawn plotly SVG) and flips to "completed"; rows appended
 * by hand appear (append→page latency printed as one JSON line); the compare page draws
 * 2–4 runs on one chart; the evaluation table and equity/drawdown charts render. The Live
 * page and its kill switch: `dashboard_live_browser_e2e_test.ts`.
 *
 * Screenshots: on a failing step one PNG is saved (path printed); set
 * RLT_DASHBOARD_SHOTS=<folder> to keep one per step.
 * Skipped (with a message) when /usr/bin/chromium is absent; `.ci/run` installs it.
 * Cannot catch: rendering differences of other browsers; latency is printed, not asserted
 * (timing depends on the machine).
 */
import assert from "node:assert/strict";
import { startDashboard } from "@lib/dashboard/mod.ts";
import {
  appendRow,
  type Browser,
  chromiumAvailable,
  launchBrowser,
  type Page,
  updateRow,
  writeRun,
} from "./dashboard_fixtures.ts";

const HAVE_CHROMIUM = chromiumAvailable();
if (!HAVE_CHROMIUM) console.warn("dashboard_browser_e2e_test: /usr/bin/chromium missing, skipped");

const ROOT = new URL("..", import.meta.url).pathname;

/** Markers and line vertices of the first trace in a plotly chart (the drawn SVG). */
function tracePoints(page: Page, selector: string): Promise<{ markers: number; vertices: number }> {
  return page.evaluate((sel: string) => {
    const tr = document.querySelector(`${sel} .scatterlayer .trace`);
    const d = tr?.querySelector("path.js-line")?.getAttribute("d") ?? "";
    return {
      markers: tr ? tr.querySelectorAll(".points path").length : 0,
      vertices: d ? d.split(/[ML]/).filter((s) => s.trim()).length : 0,
    };
  }, selector);
}

function rowsShown(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.getElementById("rows-count")?.textContent ?? 0));
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await Deno.stat(path)).size > 0) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms`);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

Deno.test({
  name:
    "dashboard in Chromium: runs table, live curves from a real training run, compare, evaluation",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const models = await Deno.makeTempDir({ prefix: "dash-models-" });
    const shots = Deno.env.get("RLT_DASHBOARD_SHOTS") ??
      await Deno.makeTempDir({ prefix: "dash-shots-" });
    const keepShots = Deno.env.get("RLT_DASHBOARD_SHOTS") !== undefined;
    await writeRun(models, "ppo-a-s2", { seed: 2, best: 0.5, createdAt: "2026-11-30T10:00:00Z" });
    await writeRun(models, "a2c-b-s0", {
      seed: 0,
      algorithm: "a2c",
      best: -1,
      createdAt: "2026-11-30T10:01:00Z",
    });
    await writeRun(models, "grpo-c-s7", {
      seed: 7,
      algorithm: "grpo",
      best: 2,
      rows: 14,
      createdAt: "2026-11-30T10:02:00Z",
    });
    await writeRun(models, "ppo-eval-s3", {
      seed: 3,
      best: 1,
      createdAt: "2026-11-30T10:03:00Z",
      evaluation: {
        split: "test",
        rows: [
          { name: "final model", totalReturn: -0.02, sharpe: -0.4, trades: 31 },
          { name: "best model", totalReturn: 0.01, sharpe: 1.2, trades: 40 },
          { name: "fixed-rule baseline", totalReturn: 0.022, sharpe: 4.1, trades: 12 },
        ],
        curves: {
          "best model": { equity: [2000, 2010, 1990, 2020], time: [0, 3e5, 6e5, 9e5] },
          "fixed-rule baseline": { equity: [2000, 1980, 2030, 2044], time: [0, 3e5, 6e5, 9e5] },
        },
      },
    });
    const appendDir = await writeRun(models, "ppo-append-s5", {
      seed: 5,
      status: "running",
      rows: 3,
      createdAt: "2026-11-30T10:04:00Z",
    });
    const d = await startDashboard({ models, port: 0 });
    let b: { browser: Browser; close: () => Promise<void> } | null = null;
    let trainer: Deno.ChildProcess | null = null;
    const pageErrors: string[] = [];
    let shotTaken = false;
    try {
      b = await launchBrowser();
      const page = await b.browser.newPage();
      await page.setViewport({ width: 1300, height: 1000 });
      page.on("pageerror", (e: Error) => pageErrors.push(e.message));
      // offline: every request the pages make goes to the dashboard itself (plotly included)
      const offsite: string[] = [];
      page.on("request", (r: { url(): string }) => {
        const u = r.url();
        if (!u.startsWith(d.url) && !u.startsWith("data:") && !u.startsWith("blob:")) {
          offsite.push(u);
        }
      });
      page.on("console", (m: { type(): string; text(): string }) => {
        if (m.type() === "error") pageErrors.push(m.text());
      });
      const step = (name: string, fn: () => Promise<void>) =>
        t.step(name, async () => {
          const file = `${shots}/${name.replace(/[^a-z0-9]+/gi, "_")}.png`;
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

      await step("runs table sorts by a clicked column", async () => {
        await page.goto(`${d.url}/`, { waitUntil: "load" });
        await page.waitForSelector("#runs-table tbody tr[data-id]", { timeout: 20_000 });
        const seeds = () =>
          page.evaluate(() =>
            [...document.querySelectorAll("#runs-table tbody tr")].map((tr) =>
              (tr as HTMLElement).dataset.id
            )
          );
        assert.equal((await seeds()).length, 5);
        await page.click('th[data-key="seed"]');
        assert.deepEqual(await seeds(), [
          "a2c-b-s0",
          "ppo-a-s2",
          "ppo-eval-s3",
          "ppo-append-s5",
          "grpo-c-s7",
        ]);
        await page.click('th[data-key="seed"]');
        assert.deepEqual(await seeds(), [
          "grpo-c-s7",
          "ppo-append-s5",
          "ppo-eval-s3",
          "ppo-a-s2",
          "a2c-b-s0",
        ]);
        const sortAttr = await page.evaluate(() =>
          document.querySelector('th[data-key="seed"]')?.getAttribute("aria-sort")
        );
        assert.equal(sortAttr, "descending");
        await page.click('th[data-key="best"]'); // numeric column, ascending
        const best = await seeds();
        assert.equal(best[0], "a2c-b-s0"); // −1
        assert.equal(best[3], "grpo-c-s7"); // 2, then the run without a best value last
        const evalCells = await page.evaluate(() =>
          [...document.querySelectorAll('tr[data-id="ppo-eval-s3"] td')].map((td) => td.textContent)
        );
        assert.ok(evalCells.includes("1.00 %"), `test return shown: ${evalCells.join(" | ")}`);
      });

      let liveLatencies: number[] = [];
      await step("run page curves grow while a real training run writes", async () => {
        const out = `${models}/ppo-live-s1`;
        trainer = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "cli/train.ts",
            "--timesteps",
            "61440",
            "--n-steps",
            "512",
            "--bars",
            "8000",
            "--eval-freq",
            "10240",
            "--checkpoint-freq",
            "0",
            "--seed",
            "1",
            "--no-progress",
            "--out",
            out,
          ],
          cwd: ROOT,
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const stderr = new Response(trainer.stderr).text();
        await waitForFile(`${out}/metrics.jsonl`, 180_000);
        const openedAt = Date.now();
        await page.goto(`${d.url}/runs/ppo-live-s1`, { waitUntil: "load" });
        await page.waitForFunction(
          () => Number(document.getElementById("rows-count")?.textContent) >= 1,
          { timeout: 60_000 },
        );
        const r0 = await rowsShown(page);
        const p0 = await tracePoints(page, "#panel-losses");
        await page.waitForFunction(
          (n: number) => Number(document.getElementById("rows-count")?.textContent) >= n,
          { timeout: 180_000 },
          r0 + 3,
        );
        const p1 = await tracePoints(page, "#panel-losses");
        if (keepShots) {
          await page.screenshot({ path: `${shots}/run_page_mid_training.png`, fullPage: true });
        }
        assert.ok(p1.markers > p0.markers, `markers ${p0.markers} → ${p1.markers}`);
        assert.ok(p1.vertices > p0.vertices, `line vertices ${p0.vertices} → ${p1.vertices}`);
        // the run finishes: the manifest change is pushed and the status flips
        await page.waitForFunction(
          () => /status: completed/.test(document.getElementById("run-summary")?.textContent ?? ""),
          { timeout: 240_000 },
        );
        // … and the validation table written at the end appears without a reload
        await page.waitForSelector("#validation-table tbody tr", { timeout: 20_000 });
        const validated = await page.evaluate(() =>
          [...document.querySelectorAll("#validation-table tbody tr td:first-child")].map((td) =>
            td.textContent
          )
        );
        assert.deepEqual(validated, ["final", "best", "alwaysFlat", "random"]);
        const status = await trainer.status;
        trainer = null;
        assert.ok(status.success, `train failed: ${await stderr}`);
        await stderr;
        // every row of the file is drawn exactly once (no loss, no duplicates)
        const lines = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n");
        const updates = lines.filter((l) => JSON.parse(l).type === "update").length;
        await page.waitForFunction(
          (n: number) => Number(document.getElementById("rows-count")?.textContent) === n,
          { timeout: 10_000 },
          lines.length,
        );
        const p2 = await tracePoints(page, "#panel-losses");
        assert.equal(p2.markers, updates);
        // a panel below the fold draws the rows it kept aside once scrolled into view
        await page.evaluate(() => document.getElementById("panel-fps")!.scrollIntoView());
        await page.waitForFunction(
          (n: number) =>
            document.querySelectorAll("#panel-fps .scatterlayer .trace .points path").length === n,
          { timeout: 10_000 },
          updates,
        );
        const renders = await page.evaluate(() =>
          (globalThis as unknown as {
            __dash: { renders: { wallTime: number | null; renderedAt: number }[] };
          }).__dash.renders
        );
        liveLatencies = renders
          .filter((r) => r.wallTime !== null && r.wallTime * 1000 > openedAt + 2000)
          .map((r) => r.renderedAt - r.wallTime! * 1000);
        assert.ok(liveLatencies.length > 0, "some rows were written after the page opened");
      });

      await step("rows appended to metrics.jsonl appear on the page", async () => {
        await page.goto(`${d.url}/runs/ppo-append-s5`, { waitUntil: "load" });
        await page.waitForFunction(
          () => Number(document.getElementById("rows-count")?.textContent) === 3,
          { timeout: 20_000 },
        );
        const appendedAt = new Map<number, number>();
        for (let i = 4; i < 24; i++) {
          const row = updateRow(i);
          appendedAt.set(row.timesteps as number, Date.now());
          await appendRow(appendDir, row);
          await new Promise((r) => setTimeout(r, 150));
        }
        await page.waitForFunction(
          () => Number(document.getElementById("rows-count")?.textContent) === 23,
          { timeout: 20_000 },
        );
        const renders = await page.evaluate(() =>
          (globalThis as unknown as {
            __dash: { renders: { timesteps: number; receivedAt: number; renderedAt: number }[] };
          }).__dash.renders
        );
        const mine = renders.filter((r) => appendedAt.has(r.timesteps));
        assert.equal(mine.length, 20);
        const received = mine.map((r) => r.receivedAt - appendedAt.get(r.timesteps)!);
        const drawn = mine.map((r) => r.renderedAt - appendedAt.get(r.timesteps)!);
        const p = await tracePoints(page, "#panel-losses");
        assert.equal(p.markers, 23);
        const stats = (xs: number[]) => ({
          n: xs.length,
          median: quantile(xs, 0.5),
          p95: quantile(xs, 0.95),
          max: Math.max(...xs),
        });
        console.log(JSON.stringify({
          measure: "dashboard append→page latency, ms",
          loadAverage1m: Deno.loadavg()[0],
          appendToEventInPage: stats(received),
          appendToDrawn: stats(drawn),
          liveTrainingWriteToDrawn: liveLatencies.length ? stats(liveLatencies) : null,
        }));
      });

      await step("compare draws the selected runs on one chart", async () => {
        await page.goto(`${d.url}/`, { waitUntil: "load" });
        await page.waitForSelector("#runs-table tbody tr[data-id]", { timeout: 20_000 });
        for (const id of ["ppo-a-s2", "grpo-c-s7", "ppo-live-s1"]) {
          await page.click(`input[type="checkbox"][data-id="${id}"]`);
        }
        await page.click("#compare-btn");
        await page.waitForFunction(
          () => document.querySelectorAll("#compare-chart .scatterlayer .trace").length === 3,
          { timeout: 30_000 },
        );
        assert.ok(page.url().includes("/compare?ids="));
        await page.waitForFunction(
          () =>
            [...document.querySelectorAll("#compare-chart .scatterlayer .trace")].every((tr) =>
              tr.querySelectorAll(".points path").length > 0
            ),
          { timeout: 30_000 },
        );
        const legend = await page.evaluate(() =>
          [...document.querySelectorAll("#compare-chart .legendtext")].map((e) => e.textContent)
        );
        assert.deepEqual([...legend].sort(), ["grpo-c-s7", "ppo-a-s2", "ppo-live-s1"]);
        const counts = await page.evaluate(() => {
          const s = document.getElementById("metric-select") as HTMLSelectElement;
          s.value = String([...s.options].findIndex((o) => o.text.startsWith("entropy")));
          s.dispatchEvent(new Event("change"));
          return [...document.querySelectorAll("#compare-chart .scatterlayer .trace")].map((tr) =>
            tr.querySelectorAll(".points path").length
          );
        });
        assert.equal(counts.length, 3);
        assert.ok(counts.includes(14), `grpo-c-s7 has 14 entropy points: ${counts}`);
      });

      await step("evaluation table with equity and drawdown charts", async () => {
        await page.goto(`${d.url}/runs/ppo-eval-s3`, { waitUntil: "load" });
        await page.waitForSelector("#drawdown-chart .scatterlayer .trace", { timeout: 20_000 });
        const rows = await page.evaluate(() =>
          [...document.querySelectorAll("#evaluation-table tbody tr")].map((tr) =>
            tr.querySelector("td")?.textContent
          )
        );
        assert.deepEqual(rows, ["final model", "best model", "fixed-rule baseline"]);
        const traces = await page.evaluate(() => ({
          equity: document.querySelectorAll("#equity-chart .scatterlayer .trace").length,
          drawdown: document.querySelectorAll("#drawdown-chart .scatterlayer .trace").length,
        }));
        assert.deepEqual(traces, { equity: 2, drawdown: 2 });
      });

      assert.deepEqual(pageErrors, [], "no script errors in the pages");
      assert.deepEqual(offsite, [], "no request left the dashboard's origin");
    } finally {
      if (trainer !== null) {
        try {
          (trainer as Deno.ChildProcess).kill("SIGKILL");
        } catch { /* exited */ }
      }
      if (b) await b.close();
      // closing the browser drops every SSE stream: no file watcher may stay open
      for (let i = 0; i < 50 && d.watchedFolders > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const leaked = d.watchedFolders;
      await d.shutdown();
      await Deno.remove(models, { recursive: true }).catch(() => {});
      if (!keepShots && !shotTaken) await Deno.remove(shots, { recursive: true }).catch(() => {});
      assert.equal(leaked, 0, "file watchers left open after the browser closed");
    }
  },
});
