/**
 * The HTML shells of the pages. They carry no data and no inline script (the CSP forbids
 * it): `static/dashboard.js` reads `data-*` attributes of `<body>`, fetches the JSON API and
 * subscribes to the Server-Sent Events streams. The CSRF token sits in a meta tag.
 *
 * @module
 */

/** Escape text for an HTML attribute or text node. */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** Which page, and what it shows. */
export type PageKind =
  | { kind: "runs" }
  | { kind: "run"; runId: string }
  | { kind: "compare"; runIds: string[] }
  | { kind: "live-index" }
  | { kind: "live"; journalId: string };

const TITLES: Record<PageKind["kind"], string> = {
  runs: "Training runs",
  run: "Run",
  compare: "Compare runs",
  "live-index": "Live loops",
  live: "Live loop",
};

/** The HTML of a page (CSRF token in `<meta name="csrf-token">`). */
export function pageHtml(page: PageKind, csrfToken: string): string {
  const data: string[] = [`data-page="${page.kind}"`];
  let title = TITLES[page.kind];
  if (page.kind === "run") {
    data.push(`data-run-id="${escapeHtml(page.runId)}"`);
    title = `Run ${page.runId}`;
  }
  if (page.kind === "compare") data.push(`data-run-ids="${escapeHtml(page.runIds.join(","))}"`);
  if (page.kind === "live") {
    data.push(`data-journal-id="${escapeHtml(page.journalId)}"`);
    title = `Live loop ${page.journalId}`;
  }
  const needsPlotly = page.kind === "run" || page.kind === "compare" || page.kind === "live";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeHtml(csrfToken)}">
<title>${escapeHtml(title)} · rl-trading dashboard</title>
<link rel="stylesheet" href="/static/dashboard.css">
${
    needsPlotly
      ? '<script src="/static/plotly.min.js"></script>\n'
      : ""
  }<script src="/static/dashboard.js" defer></script>
</head>
<body ${data.join(" ")}>
<nav><a href="/">Runs</a> <a href="/live">Live</a> <span id="conn" class="conn"></span></nav>
<main id="main"><h1>${escapeHtml(title)}</h1><p id="status-line">loading…</p></main>
</body>
</html>
`;
}
