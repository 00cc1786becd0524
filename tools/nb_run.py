#!/usr/bin/python3
"""Execute Jupyter notebooks headless against the project's Deno kernel and export offline HTML.

Usage (run with /usr/bin/python3, after tools/setup.sh registered the kernel):

    /usr/bin/python3 tools/nb_run.py [--out-dir DIR] [--quick] [--timeout S] [--grace S]
                                     [--cwd DIR] [--kernel NAME] NOTEBOOK.ipynb [...]

For each notebook, a fresh kernel executes every code cell in order; the executed notebook
is written to DIR/<name>.ipynb and an offline HTML export to DIR/<name>.html (DIR defaults
to ./reports). The source notebook is never modified.

Why not `jupyter nbconvert --execute`: the Deno kernel (>= 2.8.2) can publish a cell's
outputs AFTER its execute_reply / idle status. nbclient stops reading a cell's messages at
idle and silently drops them. This runner (1) routes every IOPub message to the cell whose
request it answers (by parent msg_id), whenever it arrives, and (2) after each cell keeps
listening until the kernel has been quiet for `--grace` seconds (default 0.3) before sending
the next cell, and once more at the end of the notebook. Outputs that arrived after the
kernel said the cell was done are counted and reported ("late outputs").

Kernel working directory: the repository root by default (the folder holding deno.json and
node_modules), so `@lib/...` imports resolve through the project's import map wherever the
notebook lives (including temporary fixture notebooks). Override with --cwd.
Notebooks must therefore not rely on the working directory being their own folder.

Kernelspec: the "deno" kernel registered by tools/setup.sh under <repo>/.jupyter/data
(XDG_DATA_HOME and JUPYTER_PATH are pointed there for the lookup, so a global "deno"
kernelspec never shadows it). Environment passed to the kernel: the caller's environment
plus RLT_QUICK=1 with --quick (notebooks use fewer bars / steps) and NO_COLOR=1.

Exit status: 0 all notebooks ran; 1 a cell raised an error; 2 a cell timed out; 3 the kernel
died or could not start; 4 bad usage; 5 kernel messages could not be read in every attempt;
6 an internal error of this runner. On failure the partial notebook and HTML are still
written (execution stops at the failing cell, like nbconvert), and the failing cell and
error are printed to stderr.

Unreadable messages: Deno's kernel occasionally sends a message that fails jupyter_client's
HMAC check ("Invalid Signature"; seen twice in ~20 notebook runs of one CI run, not
reproducible on demand). That message is lost, and it may have been an output, the reply or
the idle status, so the attempt is abandoned and the notebook runs again from the top on a
fresh kernel (at most 3 attempts; the notebooks are deterministic). Each retry is logged.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = Path(__file__).resolve().parent / "nbconvert_templates"

EXIT_OK, EXIT_CELL_ERROR, EXIT_TIMEOUT, EXIT_KERNEL, EXIT_USAGE = 0, 1, 2, 3, 4
EXIT_TRANSPORT, EXIT_INTERNAL = 5, 6
# A notebook whose kernel sent a message that could not be read (see TransportError) is run
# again from the top on a fresh kernel, at most this many attempts in all.
TRANSPORT_ATTEMPTS = 3


class TransportError(Exception):
    """A kernel message failed to deserialise (seen with Deno's kernel: an occasional
    "Invalid Signature" on a large IOPub message under load). The message is lost, and with it
    possibly an output, a reply or the idle status, so this attempt cannot be trusted."""


def _die_missing(what: str) -> None:
    sys.stderr.write(
        f"nb_run: cannot import {what}. Install the Debian packages "
        "`jupyter-nbconvert jupyter-client python3-nbclient` (apt-get install ...) and run "
        "with /usr/bin/python3.\n"
    )
    sys.exit(EXIT_USAGE)


try:
    import nbformat
    from nbformat.v4 import output_from_msg
except ImportError:  # pragma: no cover - environment problem
    _die_missing("nbformat")
try:
    from jupyter_client.manager import KernelManager
except ImportError:  # pragma: no cover
    _die_missing("jupyter_client")


class CellRun:
    """Bookkeeping for one executed code cell."""

    def __init__(self, index: int, cell: Any) -> None:
        self.index = index
        self.cell = cell
        self.reply: dict | None = None
        self.idle = False
        self.done_at: float | None = None  # when both reply and idle were seen
        self.late_outputs = 0
        self.error: dict | None = None
        self.clear_pending = False
        self.last_msg_at = time.monotonic()


class NotebookRunner:
    """Runs one notebook on a fresh kernel; see the module docstring."""

    def __init__(self, kernel_name: str, cwd: Path, env: dict[str, str], timeout: float,
                 grace: float, startup_timeout: float, log: Any) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.env = env
        self.timeout = timeout
        self.grace = grace
        self.startup_timeout = startup_timeout
        self.log = log
        self.runs: dict[str, CellRun] = {}  # parent msg_id -> run
        self.display_ids: dict[str, list[dict]] = {}  # display_id -> outputs to update
        self.late_total = 0

    # ---------------------------------------------------------------- messages
    def _add_output(self, run: CellRun, out: dict) -> None:
        outputs = run.cell.outputs
        if run.clear_pending:
            outputs.clear()
            run.clear_pending = False
        if (out.get("output_type") == "stream" and outputs
                and outputs[-1].get("output_type") == "stream"
                and outputs[-1].get("name") == out.get("name")):
            outputs[-1]["text"] += out["text"]
            return
        outputs.append(out)

    def _handle_iopub(self, msg: dict) -> None:
        parent = msg.get("parent_header", {}).get("msg_id")
        run = self.runs.get(parent)
        if run is None:
            return
        run.last_msg_at = time.monotonic()
        mtype = msg["header"]["msg_type"]
        content = msg["content"]
        if mtype == "status":
            if content.get("execution_state") == "idle":
                run.idle = True
            return
        if mtype == "execute_input":
            return
        if mtype == "clear_output":
            if content.get("wait"):
                run.clear_pending = True
            else:
                run.cell.outputs.clear()
            return
        if mtype not in ("stream", "display_data", "execute_result", "error",
                         "update_display_data"):
            return
        if run.done_at is not None:
            run.late_outputs += 1
            self.late_total += 1
        if mtype == "update_display_data":
            did = content.get("transient", {}).get("display_id")
            for out in self.display_ids.get(did, []):
                out["data"] = content.get("data", {})
                out["metadata"] = content.get("metadata", {})
            return
        out = output_from_msg(msg)
        if mtype == "error":
            run.error = content
        did = content.get("transient", {}).get("display_id") if isinstance(content, dict) else None
        if did:
            self.display_ids.setdefault(did, []).append(out)
        self._add_output(run, out)

    def _handle_shell(self, msg: dict) -> None:
        parent = msg.get("parent_header", {}).get("msg_id")
        run = self.runs.get(parent)
        if run is None or msg["header"]["msg_type"] != "execute_reply":
            return
        run.reply = msg["content"]
        if run.reply.get("execution_count") is not None:
            run.cell.execution_count = run.reply["execution_count"]
        run.last_msg_at = time.monotonic()

    def _pump(self, kc: Any, wait: float) -> bool:
        """Reads at most one IOPub and all ready shell messages; True if anything arrived."""
        got = False
        try:
            while True:
                self._handle_shell(kc.get_shell_msg(timeout=0))
                got = True
        except queue.Empty:
            pass
        except ValueError as exc:  # jupyter_client: "Invalid Signature" and other bad frames
            raise TransportError(f"unreadable shell message: {exc}") from exc
        try:
            self._handle_iopub(kc.get_iopub_msg(timeout=wait))
            got = True
        except queue.Empty:
            pass
        except ValueError as exc:
            raise TransportError(f"unreadable IOPub message: {exc}") from exc
        return got

    def _drain_quiet(self, kc: Any, run: CellRun | None) -> None:
        """Listens until no message at all has arrived for `grace` seconds."""
        if self.grace <= 0:
            return
        quiet_since = time.monotonic()
        hard_stop = quiet_since + max(self.grace * 20, 5.0)
        while True:
            now = time.monotonic()
            if now - quiet_since >= self.grace or now >= hard_stop:
                return
            if self._pump(kc, min(0.05, self.grace)):
                quiet_since = time.monotonic()

    # ------------------------------------------------------------------- run
    def run(self, nb: Any) -> tuple[int, str]:
        km = KernelManager(kernel_name=self.kernel_name)
        try:
            km.start_kernel(cwd=str(self.cwd), env=self.env)
        except Exception as exc:  # noqa: BLE001 - report any start failure the same way
            return EXIT_KERNEL, f"kernel '{self.kernel_name}' failed to start: {exc}"
        kc = km.client()
        kc.start_channels()
        try:
            try:
                kc.wait_for_ready(timeout=self.startup_timeout)
            except RuntimeError as exc:
                return EXIT_KERNEL, f"kernel did not become ready: {exc}"
            # Kernel startup messages (status etc.) are not routed to any cell.
            self._drain_quiet(kc, None)
            try:
                info = kc.kernel_info(reply=True, timeout=self.startup_timeout)
                lang = info["content"].get("language_info")
                if lang:
                    nb.metadata["language_info"] = lang
            except Exception:  # noqa: BLE001 - cosmetic only (syntax highlighting)
                pass
            try:
                return self._run_cells(km, kc, nb)
            except TransportError as exc:
                return EXIT_TRANSPORT, str(exc)
        finally:
            try:
                kc.stop_channels()
            finally:
                km.shutdown_kernel(now=True)

    def _run_cells(self, km: Any, kc: Any, nb: Any) -> tuple[int, str]:
        code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        for i, cell in code_cells:
            cell.outputs = []
            cell.execution_count = None
        for n, (i, cell) in enumerate(code_cells):
            if not cell.source.strip():
                continue
            run = CellRun(i, cell)
            started = time.monotonic()
            msg_id = kc.execute(cell.source, store_history=True, allow_stdin=False,
                                stop_on_error=True)
            self.runs[msg_id] = run
            deadline = started + self.timeout
            while not (run.reply is not None and run.idle):
                if time.monotonic() >= deadline:
                    self.log(f"  cell {i}: timeout after {self.timeout:.0f} s, interrupting")
                    try:
                        km.interrupt_kernel()
                    except Exception:  # noqa: BLE001
                        pass
                    self._drain_quiet(kc, run)
                    cell.outputs.append(nbformat.v4.new_output(
                        "error", ename="CellTimeoutError",
                        evalue=f"cell did not finish within {self.timeout:.0f} s (nb_run --timeout)",
                        traceback=[f"CellTimeoutError: cell {i} exceeded {self.timeout:.0f} s"]))
                    return EXIT_TIMEOUT, f"cell {i} timed out after {self.timeout:.0f} s"
                if not self._pump(kc, 0.1) and not km.is_alive():
                    cell.outputs.append(nbformat.v4.new_output(
                        "error", ename="KernelDied", evalue="the kernel process exited",
                        traceback=[f"KernelDied: the kernel exited while running cell {i}"]))
                    return EXIT_KERNEL, f"kernel died while running cell {i}"
            run.done_at = time.monotonic()
            self._drain_quiet(kc, run)
            elapsed = time.monotonic() - started
            cell.metadata["rlt"] = {"duration_s": round(elapsed, 3), "late_outputs": run.late_outputs}
            status = (run.reply or {}).get("status")
            self.log(f"  cell {i}: {status} in {elapsed:.2f} s"
                     + (f" ({run.late_outputs} late output(s) caught)" if run.late_outputs else ""))
            if status != "ok" or run.error is not None:
                err = run.error or run.reply or {}
                if run.error is None and run.reply is not None:
                    # The reply carries the error but no error output was published: record it.
                    cell.outputs.append(nbformat.v4.new_output(
                        "error", ename=str(err.get("ename", "Error")),
                        evalue=str(err.get("evalue", "")),
                        traceback=list(err.get("traceback", []))))
                return EXIT_CELL_ERROR, (f"cell {i} raised {err.get('ename', 'an error')}: "
                                         f"{err.get('evalue', '')}")
        return EXIT_OK, ""


# --------------------------------------------------------------------- HTML export
_EXTERNAL_TAG = re.compile(
    r"<(script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>(?:\s*</script>)?",
    re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)
_CSS_URL_COMMENT = re.compile(r"/\*(?:(?!\*/).)*?https?://(?:(?!\*/).)*?\*/", re.DOTALL)


_PLOTLY_LIB_BLOCK = re.compile(r"<script\b[^>]*data-rlt-plotly-lib[^>]*>.*?</script>",
                               re.DOTALL | re.IGNORECASE)
_EXTERNAL_REF = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""",
                           re.IGNORECASE)


def external_references(html_text: str) -> list[str]:
    """src/href values pointing off the page, outside the inlined plotly.js bundle."""
    return _EXTERNAL_REF.findall(_PLOTLY_LIB_BLOCK.sub("", html_text))


def export_html(nb: Any, path: Path) -> None:
    """Writes an offline HTML export (nbconvert, offline 'lab' variant) of `nb` to `path`.

    The template drops the require.js, MathJax and widget loaders (CDN URLs). As a
    belt-and-braces step, any remaining <script>/<link> tag pointing at an http(s) or
    protocol-relative URL is removed, as are CSS comments that merely cite a URL.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(extra_template_basedirs=[str(TEMPLATE_DIR)],
                            template_name="rlt_offline")
    body, _ = exporter.from_notebook_node(nb)
    body = _EXTERNAL_TAG.sub("", body)
    # Only inside <style> blocks: scripts (plotly.js) must stay byte-for-byte intact.
    body = _STYLE_BLOCK.sub(
        lambda m: _CSS_URL_COMMENT.sub("/* (reference URL removed for offline export) */",
                                       m.group(0)), body)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, path)
    ext = external_references(body)
    if ext:
        sys.stderr.write(f"nb_run: WARNING: {path} is not self-contained; it references "
                         f"{len(ext)} external URL(s), e.g. {ext[:3]}\n")


def _notebook_title(nb: Any, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _status_class(status: str) -> str:
    return "ok" if status == "ok" else "failed" if status.startswith("FAILED") else "old"


def write_index(out_dir: Path, entries: list[tuple[str, str, str]]) -> None:
    """Writes out_dir/index.html linking each (html file, title, status) entry, offline."""
    import html

    rows = "\n".join(
        f'<li><a href="{html.escape(f)}">{html.escape(t)}</a> '
        f'<span class="{_status_class(st)}">({html.escape(st)})</span></li>'
        for f, t, st in entries)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Notebook reports</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}} .ok{{color:#2a7}}
.failed{{color:#c33;font-weight:bold}} .old{{color:#888}}</style></head>
<body><h1>Notebook reports</h1><p>Executed headless by tools/nb_run.py on {stamp}.
Every page is self-contained and works offline.</p>
<ul>
{rows}
</ul></body></html>
"""
    (out_dir / "index.html").write_text(page, encoding="utf-8")


def write_notebook(nb: Any, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--out-dir", type=Path, default=REPO_ROOT / "reports",
                    help="where <name>.ipynb and <name>.html go (default: reports/)")
    ap.add_argument("--quick", action="store_true", help="set RLT_QUICK=1 in the kernel")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("NB_TIMEOUT", 900)),
                    help="per-cell timeout in seconds (default 900, env NB_TIMEOUT)")
    ap.add_argument("--grace", type=float, default=float(os.environ.get("NB_GRACE", 0.3)),
                    help="quiet period in seconds to keep listening after each cell "
                         "(default 0.3, env NB_GRACE)")
    ap.add_argument("--startup-timeout", type=float, default=120.0)
    ap.add_argument("--cwd", type=Path, default=REPO_ROOT,
                    help="kernel working directory (default: repository root)")
    ap.add_argument("--kernel", default="deno", help="kernelspec name (default: deno)")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML export")
    ap.add_argument("--index", action="store_true",
                    help="also write OUT_DIR/index.html linking the exported notebooks")
    args = ap.parse_args(argv)

    env = dict(os.environ)  # the kernel's environment: the caller's, plus the flags below
    # Kernelspec lookup in THIS process: always the project's own .jupyter/data (registered by
    # tools/setup.sh), first in the search path even when the user has a global "deno" kernel.
    jupyter_data = REPO_ROOT / ".jupyter" / "data"
    os.environ["XDG_DATA_HOME"] = str(jupyter_data)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(jupyter_data / "jupyter")] + [p for p in [env.get("JUPYTER_PATH")] if p])
    env["NO_COLOR"] = "1"
    if args.quick:
        env["RLT_QUICK"] = "1"
    else:
        env.pop("RLT_QUICK", None)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    worst = EXIT_OK
    index: list[tuple[str, str, str]] = []

    def log(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    for path in args.notebooks:
        if not path.is_file():
            log(f"nb_run: no such notebook: {path}")
            worst = max(worst, EXIT_USAGE)
            continue
        t0 = time.monotonic()
        for attempt in range(1, TRANSPORT_ATTEMPTS + 1):
            nb = nbformat.read(str(path), as_version=4)
            log(f"nb_run: {path} ({'quick' if args.quick else 'full'} mode, grace {args.grace} s"
                + (f", attempt {attempt} of {TRANSPORT_ATTEMPTS}" if attempt > 1 else "") + ")")
            runner = NotebookRunner(args.kernel, args.cwd.resolve(), env, args.timeout,
                                    args.grace, args.startup_timeout, log)
            try:
                code, why = runner.run(nb)
            except Exception as exc:  # noqa: BLE001 - a runner bug still writes partial output
                code, why = EXIT_INTERNAL, f"nb_run internal error: {exc!r}"
            if code != EXIT_TRANSPORT:
                break
            log(f"nb_run: {why}; running {path.name} again on a fresh kernel")
        nb.metadata.setdefault("kernelspec", {"name": args.kernel, "display_name": "Deno",
                                              "language": "typescript"})
        out_nb = args.out_dir / path.name
        write_notebook(nb, out_nb)
        if not args.no_html:
            export_html(nb, out_nb.with_suffix(".html"))
        took = time.monotonic() - t0
        index.append((out_nb.with_suffix(".html").name, _notebook_title(nb, path.stem),
                      "ok" if code == EXIT_OK else f"FAILED: {why}"))
        if code == EXIT_OK:
            log(f"nb_run: ok {path} in {took:.1f} s, late outputs caught: {runner.late_total}"
                f" -> {out_nb}")
        else:
            log(f"nb_run: FAILED {path}: {why} (partial output written to {out_nb})")
        if code != EXIT_OK and worst in (EXIT_OK,):
            worst = code
        elif code != EXIT_OK:
            worst = max(worst, code)
    if args.index and not args.no_html:
        # Keep reports of notebooks not run this time (e.g. `tools/nb.sh --report one.ipynb`).
        done = {e[0] for e in index}
        for old in sorted(args.out_dir.glob("*.html")):
            if old.name != "index.html" and old.name not in done:
                index.append((old.name, old.stem, "from an earlier run"))
        index.sort(key=lambda e: e[0])
        write_index(args.out_dir, index)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
