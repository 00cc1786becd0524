/**
 * Every numbered notebook (01–11) executes top to bottom in quick mode (RLT_QUICK=1) on the
 * project's Deno kernel, in order (07 reads the run that 04 saves), with no error output and
 * at least one chart; the exported HTML loads plotly.js inline once. notebook_e2e_test.ts covers
 * 01 in depth; this file is the "all notebooks run in CI" guarantee of the backtest issue.
 */
import assert from "node:assert/strict";
import { executeNotebook, repoRoot } from "@lib/report/mod.ts";

const ROOT = repoRoot();

interface NbOutput {
  output_type: string;
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

const join = (s: string | string[] | undefined): string => Array.isArray(s) ? s.join("") : s ?? "";

const notebooks = [...Deno.readDirSync(`${ROOT}/notebooks`)]
  .map((e) => e.name)
  .filter((n) => /^\d\d_.*\.ipynb$/.test(n))
  .sort();

Deno.test("the numbered notebooks exist (each one below runs)", () => {
  const have = notebooks.map((n) => n.slice(0, 2));
  for (const n of ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"]) {
    assert.ok(have.includes(n), `notebook ${n} is missing`);
  }
});

const outDir = Deno.makeTempDirSync({ prefix: "rlt_nb_all_" });

for (const name of notebooks) {
  Deno.test(`notebooks/${name} executes in quick mode without errors and draws charts`, async () => {
    const run = await executeNotebook(`${ROOT}/notebooks/${name}`, { outDir, quick: true });
    const cells = JSON.parse(Deno.readTextFileSync(run.notebookPath)).cells as {
      outputs?: NbOutput[];
    }[];
    const outputs = cells.flatMap((c) => c.outputs ?? []);
    const errors = outputs.filter((o) => o.output_type === "error");
    assert.deepEqual(
      errors.map((e) => `${e.ename}: ${e.evalue}`),
      [],
      `${name} has error outputs`,
    );
    assert.equal(run.code, 0, `${name}: runner exit ${run.code}\n${run.log}`);
    const plots = outputs.filter((o) => join(o.data?.["text/html"]).includes("Plotly.newPlot"));
    assert.ok(plots.length >= 1, `${name} shows no chart`);
    const html = Deno.readTextFileSync(run.htmlPath);
    assert.equal(
      html.split("data-rlt-plotly-lib").length - 1,
      1,
      `${name}: plotly.js inlined once`,
    );
  });
}

Deno.test("cleanup notebooks_all temp dir", () => {
  Deno.removeSync(outDir, { recursive: true });
});
