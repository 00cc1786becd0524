// rl-trading dashboard client: no framework, no inline script (CSP), no CDN. Every value
// from the server is inserted with textContent, never innerHTML.
// Pages: runs table (sortable, select 2–4 to compare), run page (curves pushed by
// Server-Sent Events), compare page, live pages (journal list; per journal: equity, drawdown,
// positions, orders, decisions, risk, metrics and reports pushed by Server-Sent Events, and
// the kill switch with confirmation + CSRF).
"use strict";

const body = document.body;
const main = document.getElementById("main");

/** Create an element; children are nodes or strings (set as text). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  }
  return e;
}

function setStatusLine(text) {
  const s = document.getElementById("status-line");
  if (s) s.textContent = text;
}

async function api(path) {
  const r = await fetch(path, { credentials: "same-origin" });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

function fmtNum(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toFixed(digits);
}
function fmtPct(v) {
  return v === null || v === undefined ? "—" : `${(v * 100).toFixed(2)} %`;
}
function setConn(text, cls) {
  const c = document.getElementById("conn");
  if (c) {
    c.textContent = text;
    c.className = `conn ${cls}`;
  }
}

// ---------------------------------------------------------------- runs table
const RUN_COLUMNS = [
  { key: "id", label: "Run", value: (r) => r.id },
  { key: "status", label: "Status", value: (r) => r.status },
  { key: "algorithm", label: "Algorithm", value: (r) => r.algorithm },
  { key: "env", label: "Env", value: (r) => r.env },
  { key: "data", label: "Data", value: (r) => r.data },
  { key: "seed", label: "Seed", value: (r) => r.seed, num: true },
  { key: "timesteps", label: "Steps", value: (r) => r.timesteps, num: true },
  {
    key: "best",
    label: "Best validation",
    value: (r) => (r.best ? r.best.value : null),
    show: (
      r,
    ) => (r.best ? `${r.best.metric} ${fmtNum(r.best.value)} @ ${fmtNum(r.best.timesteps)}` : "—"),
    num: true,
  },
  {
    key: "testReturn",
    label: "Test return",
    value: (r) => (r.test ? r.test.totalReturn : null),
    show: (r) => (r.test ? fmtPct(r.test.totalReturn) : "—"),
    num: true,
  },
  {
    key: "testSharpe",
    label: "Test Sharpe",
    value: (r) => (r.test ? r.test.sharpe : null),
    num: true,
  },
  {
    key: "createdAt",
    label: "Created (UTC)",
    value: (r) => r.createdAt,
    show: (r) => (r.createdAt ?? "—").replace("T", " ").slice(0, 19),
  },
];

function compareValues(a, b) {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), "en", { numeric: true });
}

async function runsPage() {
  let runs = [];
  let sortKey = "createdAt";
  let sortDir = -1;
  const selected = new Set();
  const table = el("table", { id: "runs-table", class: "runs" });
  const compareBtn = el("button", {
    id: "compare-btn",
    disabled: true,
    text: "Compare selected (2–4)",
  });
  compareBtn.addEventListener("click", () => {
    location.href = `/compare?ids=${[...selected].map(encodeURIComponent).join(",")}`;
  });
  main.append(el("p", {}, compareBtn), table);

  function render() {
    const col = RUN_COLUMNS.find((c) => c.key === sortKey);
    const sorted = [...runs].sort((x, y) => {
      const a = col.value(x);
      const b = col.value(y);
      const na = a === null || a === undefined;
      const nb = b === null || b === undefined;
      if (na || nb) return na === nb ? 0 : na ? 1 : -1; // missing values last either way
      return sortDir * compareValues(a, b);
    });
    const head = el(
      "tr",
      {},
      el("th", { text: "" }),
      ...RUN_COLUMNS.map((c) =>
        el("th", {
          "data-key": c.key,
          class: "sortable",
          "aria-sort": c.key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none",
          text: c.label + (c.key === sortKey ? (sortDir > 0 ? " ▲" : " ▼") : ""),
          onclick: () => {
            if (sortKey === c.key) sortDir = -sortDir;
            else {
              sortKey = c.key;
              sortDir = 1;
            }
            render();
          },
        })
      ),
    );
    const rows = sorted.map((r) => {
      const box = el("input", { type: "checkbox", "data-id": r.id, checked: selected.has(r.id) });
      box.addEventListener("change", () => {
        if (box.checked) selected.add(r.id);
        else selected.delete(r.id);
        compareBtn.disabled = selected.size < 2 || selected.size > 4;
      });
      return el(
        "tr",
        { "data-id": r.id, class: `status-${r.status}` },
        el("td", {}, box),
        ...RUN_COLUMNS.map((c) => {
          if (c.key === "id") {
            return el("td", {}, el("a", { href: `/runs/${encodeURIComponent(r.id)}`, text: r.id }));
          }
          if (c.key === "status") {
            return el("td", {}, el("span", { class: `badge ${r.status}`, text: r.status }));
          }
          const v = c.show ? c.show(r) : fmtNum(c.value(r));
          return el("td", { class: c.num ? "num" : "", text: v ?? "—" });
        }),
      );
    });
    table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
    setStatusLine(`${runs.length} run${runs.length === 1 ? "" : "s"}`);
  }

  async function load() {
    runs = await api("/api/runs");
    render();
    // a running run changes slowly at this scale: refresh the table every 15 s while any runs
    if (runs.some((r) => r.status === "running")) setTimeout(load, 15000);
  }
  await load();
}

// ---------------------------------------------------------------- training curves
const PANELS = [
  {
    id: "reward",
    title: "Episode return (training rollouts)",
    series: [{ type: "update", key: "episodeReturnMean", name: "train episode return" }],
  },
  {
    id: "eval",
    title: "Validation (deterministic policy)",
    series: [{ type: "eval", key: "metricValue", name: "validation metric" }, {
      type: "eval",
      key: "meanReturn",
      name: "validation mean return",
      yaxis: "y2",
    }],
  },
  {
    id: "losses",
    title: "Losses",
    series: [{ type: "update", key: "loss", name: "total loss" }, {
      type: "update",
      key: "valueLoss",
      name: "value loss",
    }],
  },
  {
    id: "policy",
    title: "Policy-gradient loss",
    series: [{ type: "update", key: "policyLoss", name: "policy loss" }],
  },
  {
    id: "entropy",
    title: "Entropy",
    series: [{ type: "update", key: "entropy", name: "entropy" }],
  },
  {
    id: "kl",
    title: "Approx. KL and clip fraction",
    series: [{ type: "update", key: "approxKl", name: "approx KL" }, {
      type: "update",
      key: "clipFraction",
      name: "clip fraction",
    }, { type: "update", key: "refKl", name: "KL to reference (GRPO)" }],
  },
  {
    id: "ev",
    title: "Explained variance",
    series: [{ type: "update", key: "explainedVariance", name: "explained variance" }],
  },
  {
    id: "fps",
    title: "Throughput (env steps / s)",
    series: [{ type: "update", key: "fps", name: "fps" }],
  },
];

const PLOT_CONFIG = { displaylogo: false, responsive: true, displayModeBar: false };

function baseLayout(title, extra = {}) {
  return {
    title: { text: title, font: { size: 13 } },
    margin: { l: 55, r: 55, t: 35, b: 75 },
    height: 290,
    xaxis: { title: { text: "environment steps" } },
    legend: { orientation: "h", y: -0.35 },
    ...extra,
  };
}

function traceOf(name, extra = {}) {
  // simplify: false keeps every point in the SVG path (plotly drops collinear ones otherwise)
  return {
    x: [],
    y: [],
    name,
    type: "scatter",
    mode: "lines+markers",
    marker: { size: 4 },
    line: { simplify: false },
    ...extra,
  };
}

/**
 * The run page's live curves: one plotly chart per panel, extended as rows arrive. A panel
 * scrolled out of view keeps its rows aside and draws them when it comes back into view
 * (plotly redraws a whole chart on every extension: drawing only what is visible halves the
 * cost per batch on a typical screen).
 */
class Curves {
  constructor(container) {
    this.rows = 0;
    this.lastStep = null;
    const byDiv = new Map();
    this.observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const p = byDiv.get(e.target);
        p.visible = e.isIntersecting;
        if (p.visible && p.backlog.length) {
          const rows = p.backlog;
          p.backlog = [];
          this.draw(p, rows);
        }
      }
    });
    this.panels = PANELS.map((p) => {
      const div = el("div", { id: `panel-${p.id}`, class: "panel" });
      container.append(div);
      const traces = p.series.map((s) => traceOf(s.name, s.yaxis ? { yaxis: s.yaxis } : {}));
      const extra = p.series.some((s) => s.yaxis)
        ? { yaxis2: { overlaying: "y", side: "right" } }
        : {};
      Plotly.newPlot(div, traces, baseLayout(p.title, extra), PLOT_CONFIG);
      const panel = { ...p, div, visible: true, backlog: [] };
      byDiv.set(div, panel);
      this.observer.observe(div);
      return panel;
    });
  }

  reset() {
    for (const p of this.panels) {
      p.backlog = [];
      Plotly.react(
        p.div,
        p.series.map((s) => traceOf(s.name, s.yaxis ? { yaxis: s.yaxis } : {})),
        p.div.layout,
      );
    }
    this.rows = 0;
  }

  add(rows) {
    for (const p of this.panels) {
      if (p.visible) this.draw(p, rows);
      else p.backlog.push(...rows);
    }
    this.rows += rows.length;
    for (const r of rows) if (typeof r.timesteps === "number") this.lastStep = r.timesteps;
  }

  draw(p, rows) {
    const xs = p.series.map(() => []);
    const ys = p.series.map(() => []);
    for (const r of rows) {
      p.series.forEach((s, i) => {
        const v = r[s.key];
        if (r.type === s.type && typeof v === "number" && typeof r.timesteps === "number") {
          xs[i].push(r.timesteps);
          ys[i].push(v);
        }
      });
    }
    const idx = [];
    const ex = [];
    const ey = [];
    xs.forEach((x, i) => {
      if (x.length) {
        idx.push(i);
        ex.push(x);
        ey.push(ys[i]);
      }
    });
    if (idx.length) Plotly.extendTraces(p.div, { x: ex, y: ey }, idx);
  }
}

function kvTable(obj, prefix = "", out = []) {
  if (obj === null || typeof obj !== "object") return out;
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) kvTable(v, key, out);
    else {out.push(
        el(
          "tr",
          {},
          el("th", { text: key }),
          el("td", { text: Array.isArray(v) ? v.join(", ") : fmtNum(v, 6) }),
        ),
      );}
  }
  return out;
}

function scalarTable(columns, rows, id) {
  return el(
    "table",
    { id, class: "data" },
    el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { text: c })))),
    el(
      "tbody",
      {},
      ...rows.map((r) =>
        el(
          "tr",
          {},
          ...columns.map((c) =>
            el("td", { class: typeof r[c] === "number" ? "num" : "", text: fmtNum(r[c], 4) })
          ),
        )
      ),
    ),
  );
}

function summaryLine(s) {
  const parts = [
    `status: ${s.status}`,
    s.algorithm ?? "?",
    `env ${s.env ?? "—"}`,
    `seed ${s.seed ?? "—"}`,
    `steps ${fmtNum(s.timesteps)} / ${fmtNum(s.totalTimesteps)}`,
  ];
  if (s.best) {
    parts.push(`best ${s.best.metric} ${fmtNum(s.best.value)} @ ${fmtNum(s.best.timesteps)}`);
  }
  return parts.join(" · ");
}

// Latency probe for the end-to-end test: when each batch of rows was drawn (epoch ms).
globalThis.__dash = { rows: 0, lastStep: null, renders: [], drawMs: [] };

async function runPage() {
  const id = body.dataset.runId;
  const detail = await api(`/api/runs/${encodeURIComponent(id)}`);
  const status = el("p", { id: "run-summary", text: summaryLine(detail) });
  const counter = el(
    "p",
    { class: "muted" },
    "metrics rows: ",
    el("span", { id: "rows-count", text: "0" }),
    " · last step: ",
    el("span", { id: "last-step", text: "—" }),
  );
  const curves = el("section", { id: "curves", class: "grid" });
  main.append(status, counter, curves);
  setStatusLine(`run folder: ${id}`);
  const c = new Curves(curves);

  const details = el("section", { id: "details" });
  main.append(details);
  await renderDetails(details, id, detail);
  let shown = { status: detail.status, hasEvaluation: detail.hasEvaluation };
  let lastSummary = detail;

  const es = new EventSource(`/api/runs/${encodeURIComponent(id)}/stream?since=0`);
  es.addEventListener("open", () => setConn("● live", "ok"));
  es.addEventListener("error", () => setConn("○ reconnecting", "warn"));
  es.addEventListener("run", async (ev) => {
    const summary = JSON.parse(ev.data);
    lastSummary = summary;
    status.textContent = summaryLine(summary);
    // the run ended or was evaluated: its validation / evaluation tables are new
    if (summary.status !== shown.status || summary.hasEvaluation !== shown.hasEvaluation) {
      shown = { status: summary.status, hasEvaluation: summary.hasEvaluation };
      await renderDetails(details, id, await api(`/api/runs/${encodeURIComponent(id)}`));
    }
  });
  // Rows arriving while a frame is pending are drawn together: one plotly redraw per panel
  // per frame however fast the file grows.
  let pending = [];
  let resetPending = false;
  let frame = 0;
  const draw = () => {
    frame = 0;
    const rows = pending;
    pending = [];
    const t0 = performance.now();
    if (resetPending) c.reset();
    resetPending = false;
    c.add(rows.map((x) => x.row));
    document.getElementById("rows-count").textContent = String(c.rows);
    document.getElementById("last-step").textContent = fmtNum(c.lastStep);
    // steps trained move with the rows (the summary itself changes only with the manifest)
    if (typeof c.lastStep === "number" && c.lastStep > (lastSummary.timesteps ?? 0)) {
      status.textContent = summaryLine({ ...lastSummary, timesteps: c.lastStep });
    }
    const now = Date.now();
    const dash = globalThis.__dash;
    dash.rows = c.rows;
    dash.lastStep = c.lastStep;
    dash.drawMs.push(performance.now() - t0);
    for (const { row, receivedAt } of rows) {
      dash.renders.push({
        timesteps: row.timesteps,
        wallTime: row.wallTime ?? null,
        receivedAt,
        renderedAt: now,
      });
    }
  };
  es.addEventListener("metrics", (ev) => {
    const chunk = JSON.parse(ev.data);
    const receivedAt = Date.now();
    if (chunk.reset) {
      pending = [];
      resetPending = true;
    }
    for (const row of chunk.rows) pending.push({ row, receivedAt });
    if (!frame) frame = requestAnimationFrame(draw);
  });
}

/** Validation table, evaluation section, problems and configuration of a run. */
async function renderDetails(container, id, detail) {
  const parts = [];
  if (detail.problems?.length) {
    parts.push(
      el("p", { class: "warn", text: `problems reading this run: ${detail.problems.join("; ")}` }),
    );
  }
  const validation = detail.manifest?.extra?.validation;
  if (validation && typeof validation === "object") {
    const names = Object.keys(validation).filter((k) => validation[k]);
    const cols = ["model", ...new Set(names.flatMap((k) => Object.keys(validation[k])))];
    parts.push(
      el("h2", { text: "Validation split (written by train)" }),
      scalarTable(cols, names.map((k) => ({ model: k, ...validation[k] })), "validation-table"),
    );
  }
  const evalBox = el("div", { id: "evaluation" });
  parts.push(
    evalBox,
    el("h2", { text: "Configuration (secrets redacted)" }),
    el("table", { id: "config-table", class: "kv" }, ...kvTable(detail.config ?? {})),
  );
  container.replaceChildren(...parts);
  if (detail.hasEvaluation) await evaluationSection(evalBox, id);
}

async function evaluationSection(box, id) {
  let ev;
  try {
    ev = await api(`/api/runs/${encodeURIComponent(id)}/evaluation`);
  } catch (e) {
    box.append(
      el("p", { class: "warn", text: `evaluation.json could not be read: ${e.message}` }),
    );
    return;
  }
  box.append(el("h2", { text: `Evaluation (${ev.split ?? "split not stated"})` }));
  box.append(
    scalarTable(
      ["name", ...ev.columns],
      ev.strategies.map((s) => ({ name: s.name, ...s.metrics })),
      "evaluation-table",
    ),
  );
  const curves = ev.strategies.filter((s) => s.equity);
  if (curves.length) {
    const xOf = (s) =>
      s.time ? s.time.map((t) => new Date(t).toISOString()) : s.equity.map((_, i) => i);
    const eq = el("div", { id: "equity-chart", class: "panel wide" });
    const dd = el("div", { id: "drawdown-chart", class: "panel wide" });
    box.append(eq, dd);
    const xt = curves[0].time ? "time (UTC)" : "bar";
    Plotly.newPlot(
      eq,
      curves.map((s) => traceOf(s.name, { x: xOf(s), y: s.equity, mode: "lines" })),
      baseLayout("Equity on the evaluated split", { xaxis: { title: { text: xt } }, height: 320 }),
      PLOT_CONFIG,
    );
    Plotly.newPlot(
      dd,
      curves.map((s) =>
        traceOf(s.name, { x: xOf(s), y: s.drawdown.map((d) => d * 100), mode: "lines" })
      ),
      baseLayout("Drawdown from running peak (%)", { xaxis: { title: { text: xt } }, height: 260 }),
      PLOT_CONFIG,
    );
  }
  for (const [name, rows] of Object.entries(ev.tables)) {
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    box.append(el("h3", { text: name }), scalarTable(cols, rows, `evaluation-${name}`));
  }
}

// ---------------------------------------------------------------- compare
const COMPARE_METRICS = [
  ["update", "episodeReturnMean", "train episode return"],
  ["eval", "metricValue", "validation metric"],
  ["eval", "meanReturn", "validation mean return"],
  ["update", "loss", "total loss"],
  ["update", "valueLoss", "value loss"],
  ["update", "policyLoss", "policy loss"],
  ["update", "entropy", "entropy"],
  ["update", "approxKl", "approx KL"],
  ["update", "explainedVariance", "explained variance"],
  ["update", "fps", "fps"],
];

function comparePage() {
  const ids = body.dataset.runIds.split(",").filter(Boolean);
  const select = el(
    "select",
    { id: "metric-select" },
    ...COMPARE_METRICS.map(([t, _k, label], i) =>
      el("option", { value: String(i), text: `${label} (${t})` })
    ),
  );
  const chart = el("div", { id: "compare-chart", class: "panel wide" });
  main.append(el("p", {}, "metric: ", select), chart);
  setStatusLine(`comparing ${ids.join(", ")}`);
  const rows = Object.fromEntries(ids.map((id) => [id, []]));
  let scheduled = false;
  function draw() {
    scheduled = false;
    const [type, key, label] = COMPARE_METRICS[Number(select.value)];
    const traces = ids.map((id) => {
      const r = rows[id].filter((x) =>
        x.type === type && typeof x[key] === "number" && typeof x.timesteps === "number"
      );
      return traceOf(id, { x: r.map((x) => x.timesteps), y: r.map((x) => x[key]) });
    });
    Plotly.react(
      chart,
      traces,
      baseLayout(`${label}: ${ids.length} runs`, { height: 420 }),
      PLOT_CONFIG,
    );
  }
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(draw);
    }
  };
  select.addEventListener("change", draw);
  draw();
  for (const id of ids) {
    const es = new EventSource(`/api/runs/${encodeURIComponent(id)}/stream?since=0`);
    es.addEventListener("metrics", (ev) => {
      const chunk = JSON.parse(ev.data);
      if (chunk.reset) rows[id] = [];
      rows[id].push(...chunk.rows);
      schedule();
    });
  }
}

// ---------------------------------------------------------------- live
async function liveIndexPage() {
  const { journals } = await api("/api/live");
  if (!journals.length) {
    setStatusLine("no journal attached: start the dashboard with --journal <file or folder>");
    return;
  }
  setStatusLine(`${journals.length} journals`);
  main.append(
    el(
      "ul",
      { id: "journal-list" },
      ...journals.map((j) =>
        el(
          "li",
          {},
          el("a", { href: `/live/${encodeURIComponent(j.id)}`, text: j.id }),
          j.available ? "" : ` (${j.problem ?? "not available"})`,
        )
      ),
    ),
  );
}

const DECISION_LABEL = {
  acted: "acted",
  held: "held",
  smoothed_away: "smoothed",
  blocked: "blocked by rule",
  exited: "exited by ladder level",
};
/**
 * The loop journals every forced close as `exited`: a ladder level's exit, and the flattening
 * by the kill switch, a watchdog or the dead-man switch (its reason says which).
 */
function decisionLabel(kind, reason) {
  if (kind === "exited") {
    if (/^kill_switch\b/.test(reason ?? "")) return "exited by kill switch";
    if (/^watchdog\b/.test(reason ?? "")) return "exited by watchdog";
    if (/^dead_man\b/.test(reason ?? "")) return "exited by dead-man switch";
  }
  return DECISION_LABEL[kind] ?? kind;
}

function fmtTime(ms) {
  return ms === null || ms === undefined
    ? "—"
    : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}
function fmtMoney(v) {
  return v === null || v === undefined ? "—" : v.toFixed(2);
}
function signed(v, f) {
  if (v === null || v === undefined) return "—";
  return (v > 0 ? "+" : "") + f(v);
}
function ago(ms) {
  if (ms === null || ms === undefined) return "never";
  const s = Math.max(0, (Date.now() - ms) / 1000);
  return s < 90 ? `${s.toFixed(0)} s ago` : `${(s / 60).toFixed(0)} min ago`;
}

function table(id, head, rows, empty = "none") {
  if (!rows.length) return el("p", { id, class: "muted", text: empty });
  return el(
    "table",
    { id, class: "data" },
    el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))),
    el("tbody", {}, ...rows),
  );
}
function tr(cells, attrs = {}) {
  return el(
    "tr",
    attrs,
    ...cells.map((c) =>
      c instanceof Node
        ? el("td", {}, c)
        : el("td", { class: typeof c === "number" ? "num" : "", text: c ?? "—" })
    ),
  );
}

function loopText(st) {
  const l = st.loop;
  let t = !l
    ? "loop: no start journaled"
    : l.kind === "start"
    ? `loop: running since ${fmtTime(l.tsMs)}`
    : `loop: stopped at ${fmtTime(l.tsMs)}${l.detail?.reason ? ` (${l.detail.reason})` : ""}`;
  const e = st.lastLoopEvent;
  if (e && (!l || e.tsMs > l.tsMs || e.kind !== l.kind)) {
    t += ` · last loop event: ${e.kind} at ${fmtTime(e.tsMs)}`;
  }
  return t;
}

// Latency probe for the end-to-end test: when each decision row was drawn (epoch ms).
globalThis.__live = { decisions: [], snapshots: 0, states: 0, frames: [] };

function livePage() {
  const id = body.dataset.journalId;
  const base = `/api/live/${encodeURIComponent(id)}`;
  const head = el("p", { id: "live-head", class: "muted" });
  const killBox = el("div", { id: "kill-box", class: "kill" });
  const summary = el("section", { id: "live-summary" });
  const charts = el("section", { class: "grid" });
  const eqDiv = el("div", { id: "live-equity", class: "panel" });
  const ddDiv = el("div", { id: "live-drawdown", class: "panel" });
  charts.append(eqDiv, ddDiv);
  const posBox = el("section", { id: "live-positions-box" });
  const ordBox = el("section", { id: "live-orders-box" });
  const decTable = el("tbody", { id: "live-decisions-body" });
  const decBox = el(
    "section",
    {},
    el("h2", { text: "Last decisions (newest first, at most 100)" }),
    el(
      "div",
      { class: "scroll" },
      el(
        "table",
        { id: "live-decisions", class: "data" },
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ...[
              "#",
              "time (UTC)",
              "agent",
              "bar (UTC)",
              "action",
              "smoothed",
              "outcome",
              "reason",
              "target",
            ]
              .map((h) => el("th", { text: h })),
          ),
        ),
        decTable,
      ),
    ),
  );
  const riskBox = el("section", { id: "live-risk" });
  const metricsBox = el("section", { id: "live-metrics" });
  const reportsBox = el("section", { id: "live-reports" });
  main.append(
    head,
    killBox,
    summary,
    charts,
    riskBox,
    posBox,
    ordBox,
    decBox,
    metricsBox,
    reportsBox,
  );
  setStatusLine(`journal ${id}`);

  // ---- kill switch
  const result = el("p", { id: "kill-result" });
  const killState = el("p", { id: "kill-state" });
  const btn = el("button", {
    id: "kill-btn",
    class: "danger",
    text: "Kill switch: flatten and stop the loop",
  });
  btn.addEventListener("click", async () => {
    if (
      !confirm(`Press the kill switch of ${id}? The loop will flatten every position and stop.`)
    ) {
      result.textContent = "cancelled";
      return;
    }
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const r = await fetch(`${base}/kill`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": token },
      body: JSON.stringify({ reason: "kill switch pressed in the dashboard" }),
    });
    const j = await r.json().catch(() => ({}));
    result.textContent = r.ok
      ? `kill switch set (${j.reason})`
      : `refused: HTTP ${r.status} ${j.error ?? ""}`;
  });
  killBox.append(killState, el("p", {}, btn), result);

  // ---- charts
  const traceIdx = new Map(); // agent -> trace index (same in both charts)
  const peaks = new Map();
  const layout = (title, y) =>
    baseLayout(title, {
      xaxis: { title: { text: "time (UTC)" }, type: "date" },
      yaxis: { title: { text: y } },
      height: 300,
    });
  function resetCharts(curves) {
    traceIdx.clear();
    peaks.clear();
    const eq = [];
    const dd = [];
    for (const [agent, c] of Object.entries(curves)) {
      traceIdx.set(agent, eq.length);
      let peak = -Infinity;
      const d = c.equity.map((e) => {
        peak = Math.max(peak, e);
        return peak > 0 ? (-(peak - e) / peak) * 100 : 0;
      });
      peaks.set(agent, peak);
      const x = c.t.map((t) => new Date(t).toISOString());
      eq.push(traceOf(agent, { x, y: c.equity, mode: "lines" }));
      dd.push(traceOf(agent, { x: [...x], y: d, mode: "lines" }));
    }
    Plotly.react(eqDiv, eq, layout("Equity since start", "equity (quote)"), PLOT_CONFIG);
    Plotly.react(ddDiv, dd, layout("Drawdown from running peak since start (%)", "%"), PLOT_CONFIG);
  }
  function extendCharts(rows) {
    const by = new Map();
    for (const r of rows) {
      if (!by.has(r.agent)) by.set(r.agent, []);
      by.get(r.agent).push(r);
    }
    for (const [agent, list] of by) {
      if (!traceIdx.has(agent)) {
        traceIdx.set(agent, eqDiv.data.length);
        Plotly.addTraces(eqDiv, traceOf(agent, { mode: "lines" }));
        Plotly.addTraces(ddDiv, traceOf(agent, { mode: "lines" }));
        peaks.set(agent, -Infinity);
      }
      const i = traceIdx.get(agent);
      const x = list.map((r) => new Date(r.ts_ms).toISOString());
      let peak = peaks.get(agent);
      const d = list.map((r) => {
        peak = Math.max(peak, r.equity);
        return peak > 0 ? (-(peak - r.equity) / peak) * 100 : 0;
      });
      peaks.set(agent, peak);
      Plotly.extendTraces(eqDiv, { x: [x], y: [list.map((r) => r.equity)] }, [i]);
      Plotly.extendTraces(ddDiv, { x: [[...x]], y: [d] }, [i]);
    }
  }

  // ---- decisions
  function decisionRow(d) {
    const kind = d.decision;
    return tr([
      d.id,
      fmtTime(d.tsMs),
      d.agent,
      fmtTime(d.barTimeMs),
      fmtNum(d.action),
      fmtNum(d.smoothedAction),
      el("span", { class: `badge d-${kind}`, text: decisionLabel(kind, d.reason) }),
      d.reason ?? "",
      fmtNum(d.targetPosition),
    ], { "data-id": d.id, "data-decision": kind });
  }
  const fromRow = (r) => ({
    id: r.id,
    tsMs: r.ts_ms,
    agent: r.agent,
    barTimeMs: r.bar_time_ms,
    action: r.action,
    smoothedAction: r.smoothed_action,
    decision: r.decision,
    reason: r.reason,
    targetPosition: r.target_position,
  });
  function addDecisions(list) {
    // list oldest first: each goes on top
    for (const d of list) decTable.prepend(decisionRow(d));
    while (decTable.children.length > 100) decTable.lastChild.remove();
  }

  // ---- state
  function renderState(st) {
    globalThis.__live.states++;
    head.textContent = [
      `journal ${st.id}`,
      st.market,
      st.day ? `day ${st.day}` : "no rows yet",
      `as of ${fmtTime(st.asOfMs)}`,
      `last write ${ago(st.lastWriteMs)}`,
      loopText(st),
      `${st.counts.decisions} decisions · ${st.counts.fills} fills · ${st.counts.trades} trades`,
    ].join(" · ");
    if (!st.available) setStatusLine(`journal ${st.id}: ${st.problem}`);
    else setStatusLine(`journal ${st.id}`);
    const ks = st.risk.killSwitch;
    killState.className = ks.set ? "warn" : "ok";
    killState.textContent = ks.set
      ? `KILL SWITCH SET by ${ks.source} at ${fmtTime(ks.setAtMs)}: ${ks.reason}`
      : "kill switch: not set";
    killState.dataset.set = String(ks.set);

    const agentRows = st.agents.map((a) =>
      tr([
        a.agent,
        a.symbol ?? "—",
        fmtMoney(a.equity),
        `${signed(a.pnlToday, fmtMoney)} (${signed(a.pnlTodayFraction, fmtPct)})`,
        `${signed(a.pnlSinceStart, fmtMoney)} (${signed(a.pnlSinceStartFraction, fmtPct)})`,
        `${fmtPct(a.drawdownToday)} / ${fmtPct(a.maxDrawdownToday)}`,
        `${fmtPct(a.drawdown)} / ${fmtPct(a.maxDrawdown)}`,
      ], { "data-agent": a.agent })
    );
    if (st.total && st.agents.length > 1) {
      agentRows.push(tr([
        "all agents",
        "",
        fmtMoney(st.total.equity),
        signed(st.total.pnlToday, fmtMoney),
        signed(st.total.pnlSinceStart, fmtMoney),
        "",
        "",
      ], { class: "total" }));
    }
    summary.replaceChildren(
      el("h2", { text: "Equity and drawdown" }),
      table(
        "live-agents",
        [
          "agent",
          "symbol",
          "equity",
          "P&L today",
          "P&L since start",
          "drawdown today (now / max)",
          "drawdown since start (now / max)",
        ],
        agentRows,
        "no equity journaled yet",
      ),
    );
    posBox.replaceChildren(
      el("h2", { text: "Positions" }),
      table(
        "live-positions",
        [
          "agent",
          "symbol",
          "qty (snapshot)",
          "qty (fills)",
          "avg price",
          "unrealised P&L",
          "as of (UTC)",
        ],
        st.positions.map((p) =>
          tr([
            p.agent,
            p.symbol,
            fmtNum(p.qty),
            fmtNum(p.qtyFromFills),
            fmtNum(p.avgPrice),
            fmtMoney(p.unrealizedPnl),
            fmtTime(p.tsMs),
          ])
        ),
        "no positions",
      ),
    );
    ordBox.replaceChildren(
      el("h2", { text: "Open orders" }),
      table(
        "live-orders",
        [
          "client order id",
          "agent",
          "symbol",
          "side",
          "qty",
          "filled",
          "type",
          "limit",
          "stop",
          "status",
          "reason",
        ],
        st.openOrders.map((o) =>
          tr([
            o.clientOrderId,
            o.agent,
            o.symbol,
            o.side,
            fmtNum(o.qty),
            fmtNum(o.filledQty),
            o.type,
            fmtNum(o.limitPrice),
            fmtNum(o.stopPrice),
            o.status,
            o.reason ?? "",
          ])
        ),
        "no open orders",
      ),
    );
    riskBox.replaceChildren(
      el("h2", { text: "Risk" }),
      table(
        "live-risk-agents",
        ["agent", "daily loss used", "daily loss limit", "loss streak", "loss streak limit"],
        st.agents.map((a) =>
          tr([
            a.agent,
            fmtPct(a.dailyLossUsed),
            a.dailyLossLimit === null ? "off" : fmtPct(a.dailyLossLimit),
            a.lossStreak,
            a.lossStreakLimit === null ? "off" : a.lossStreakLimit,
          ], {
            class: a.dailyLossLimit !== null && a.dailyLossUsed >= a.dailyLossLimit ? "warn" : "",
          })
        ),
      ),
      el("h3", { text: "Halts and lockouts in force" }),
      table(
        "live-halts",
        ["agent", "rule", "since (UTC)", "reason"],
        st.risk.halts.map((h) =>
          tr([h.agent ?? "account", h.rule, fmtTime(h.sinceMs), h.reason ?? ""])
        ),
        "none",
      ),
      el("h3", { text: "Recent risk events" }),
      table(
        "live-risk-events",
        ["time (UTC)", "agent", "rule", "action"],
        st.risk.recent.map((e) => tr([fmtTime(e.tsMs), e.agent ?? "", e.rule, e.action])),
        "none",
      ),
      el("h3", { text: "Kill switch events" }),
      table(
        "live-kill-events",
        ["time (UTC)", "action", "source", "reason"],
        st.risk.killEvents.map((e) =>
          tr([fmtTime(e.tsMs), e.action, e.source ?? "", e.reason ?? ""])
        ),
        "none",
      ),
    );
    const m = st.metrics;
    metricsBox.replaceChildren(
      el("h2", { text: "Per-agent performance (closed trades)" }),
      m
        ? table(
          "live-metrics-table",
          [
            "agent",
            "trades",
            "P&L",
            "return on capital",
            "win rate",
            "Sharpe (ann.)",
            "max DD (trades)",
            "max DD (equity)",
          ],
          [
            ...m.byAgent.map((a) =>
              tr([
                a.agent,
                a.stats.trades,
                fmtMoney(a.totalPnl),
                fmtPct(a.returnOnCapital),
                fmtPct(a.stats.winRate),
                fmtNum(a.sharpe),
                fmtPct(-a.maxDrawdown),
                fmtPct(-a.equityMaxDrawdown),
              ])
            ),
            tr([
              "all",
              m.overall.stats.trades,
              fmtMoney(m.overall.totalPnl),
              fmtPct(m.overall.returnOnCapital),
              fmtPct(m.overall.stats.winRate),
              fmtNum(m.overall.sharpe),
              fmtPct(-m.overall.maxDrawdown),
              "",
            ], { class: "total" }),
          ],
        )
        : el("p", { class: "muted", text: "not computed yet" }),
    );
    reportsBox.replaceChildren(
      el("h2", { text: "Daily reports" }),
      st.reports.length
        ? el(
          "ul",
          { id: "live-report-links" },
          ...st.reports.map((r) =>
            el(
              "li",
              {},
              el("a", {
                href: `/live/${encodeURIComponent(id)}/reports/${r.date}`,
                text: r.date,
              }),
              r.written ? "" : " (so far, built from the journal)",
            )
          ),
        )
        : el("p", { class: "muted", text: "none yet" }),
    );
  }

  // ---- stream: rows are drawn together once per frame
  let pending = { decisions: [], equity: [] };
  let pendingState = null;
  let frame = 0;
  // Decisions and tables are drawn in the next frame; the charts (plotly redraws a whole chart
  // on every extension: tens of ms on a busy machine) at most every CHART_EVERY_MS in a task
  // of their own, so they rarely hold back the paint of new rows. The probe stamps a row when
  // the frame after its insertion starts, i.e. once it has been painted.
  const CHART_EVERY_MS = 500;
  let scheduledAt = 0;
  let chartTask = 0;
  let chartAt = 0;
  let pendingEquity = [];
  const drawCharts = () => {
    chartTask = 0;
    chartAt = performance.now();
    const rows = pendingEquity;
    pendingEquity = [];
    const t0 = performance.now();
    if (rows.length) extendCharts(rows);
    globalThis.__live.frames.push({ chartsMs: performance.now() - t0 });
  };
  const draw = () => {
    frame = 0;
    const p = pending;
    pending = { decisions: [], equity: [] };
    const t0 = performance.now();
    if (p.decisions.length) {
      const list = p.decisions.map((x) => x.d);
      const receivedAt = p.decisions[0].receivedAt;
      addDecisions(list);
      requestAnimationFrame(() => {
        const now = Date.now();
        for (const d of list) {
          globalThis.__live.decisions.push({ id: d.id, tsMs: d.tsMs, receivedAt, renderedAt: now });
        }
      });
    }
    const t1 = performance.now();
    if (pendingState) renderState(pendingState);
    pendingState = null;
    if (p.equity.length) {
      pendingEquity.push(...p.equity);
      if (!chartTask) {
        const wait = Math.max(0, chartAt + CHART_EVERY_MS - performance.now());
        chartTask = setTimeout(drawCharts, wait);
      }
    }
    globalThis.__live.frames.push({
      waitMs: t0 - scheduledAt,
      decisionsMs: t1 - t0,
      stateMs: performance.now() - t1,
    });
  };
  const schedule = () => {
    if (!frame) {
      scheduledAt = performance.now();
      frame = requestAnimationFrame(draw);
    }
  };
  const es = new EventSource(`${base}/stream`);
  es.addEventListener("open", () => setConn("● live", "ok"));
  es.addEventListener("error", () => setConn("○ reconnecting", "warn"));
  es.addEventListener("snapshot", (ev) => {
    const snap = JSON.parse(ev.data);
    globalThis.__live.snapshots++;
    pending = { decisions: [], equity: [] };
    pendingState = null;
    pendingEquity = [];
    resetCharts(snap.curves);
    decTable.replaceChildren(...snap.decisions.map(decisionRow));
    renderState(snap.state);
  });
  es.addEventListener("rows", (ev) => {
    const rows = JSON.parse(ev.data);
    const receivedAt = Date.now();
    for (const r of rows.decisions ?? []) pending.decisions.push({ d: fromRow(r), receivedAt });
    pending.equity.push(...(rows.equity ?? []));
    schedule();
  });
  es.addEventListener("state", (ev) => {
    pendingState = JSON.parse(ev.data);
    schedule();
  });
  es.addEventListener(
    "problem",
    () => setStatusLine(`journal ${id}: reading failed (see the server's console)`),
  );
}

const pages = {
  runs: runsPage,
  run: runPage,
  compare: comparePage,
  "live-index": liveIndexPage,
  live: livePage,
};
Promise.resolve()
  .then(() => (pages[body.dataset.page] ?? (() => {}))())
  .catch((e) => setStatusLine(`error: ${e.message}`));
