/**
 * The README's "open the notebooks" command works: `deno task notebook` starts the Jupyter
 * Notebook UI on loopback and that server lists the project's Deno kernel. Cannot catch: a
 * browser-side problem in the UI itself (the notebook runner tests execute the notebooks).
 * Skipped when the `jupyter-notebook` Debian package is absent (`.ci/run` installs it).
 */
import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;
const hasUi = (() => {
  try {
    return Deno.statSync("/usr/bin/jupyter-notebook").isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "deno task notebook: the Jupyter UI starts and offers the Deno kernel",
  ignore: !hasUi,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const token = crypto.randomUUID();
    const child = new Deno.Command("deno", {
      args: [
        "task",
        "notebook",
        "--no-browser",
        "--ip",
        "127.0.0.1",
        `--port=${port}`,
        `--NotebookApp.token=${token}`,
      ],
      cwd: root,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      let specs: { kernelspecs?: Record<string, unknown> } | null = null;
      for (let i = 0; i < 120 && specs === null; i++) {
        await new Promise((r) => setTimeout(r, 250));
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/kernelspecs`, {
            headers: { Authorization: `token ${token}` },
          });
          if (res.ok) specs = await res.json();
          else await res.body?.cancel();
        } catch { /* not listening yet */ }
      }
      assert.ok(specs, "the notebook server did not answer within 30 s");
      assert.ok(specs.kernelspecs?.deno, `no deno kernel in ${JSON.stringify(specs)}`);
    } finally {
      child.kill("SIGTERM");
      await child.stderr.cancel();
      await child.status;
    }
  },
});
