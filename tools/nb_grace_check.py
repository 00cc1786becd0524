#!/usr/bin/python3
"""Shows why tools/nb_run.py keeps listening after each cell (Deno kernel late outputs).

Builds a notebook whose cells each print a burst of N lines (console.log in a loop) and
executes it R times with
  (a) nbclient, exactly what `jupyter nbconvert --execute` uses,
  (b) tools/nb_run.py with --grace 0 (no grace period),
  (c) tools/nb_run.py with the default grace period (0.3 s),
then prints, per method, how many of the expected lines were saved in the right cell.

    /usr/bin/python3 tools/nb_grace_check.py [--cells 4] [--lines 300] [--repeats 3]

Exit status 1 when (c) lost or misplaced any line. Diagnostic tool, not part of the tests
(the loss in (a)/(b) is timing-dependent).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent


def make_notebook(path: Path, cells: int, lines: int) -> None:
    nb = new_notebook(cells=[
        new_code_cell(f'for (let i = 0; i < {lines}; i++) console.log("c{k} line", i);')
        for k in range(cells)
    ])
    nb.metadata["kernelspec"] = {"name": "deno", "display_name": "Deno", "language": "typescript"}
    nbformat.write(nb, str(path))


def score(nb, lines: int) -> tuple[int, int]:
    """(lines saved in the cell that printed them, lines saved in a wrong cell)."""
    right = wrong = 0
    for k, cell in enumerate(nb.cells):
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        for line in text.splitlines():
            if line.startswith(f"c{k} line"):
                right += 1
            elif line.startswith("c"):
                wrong += 1
    return right, wrong


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=4)
    ap.add_argument("--lines", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("XDG_DATA_HOME", str(ROOT / ".jupyter" / "data"))
    expected = args.cells * args.lines
    failed = False
    with tempfile.TemporaryDirectory(prefix="rlt_grace_") as tmp:
        src = Path(tmp) / "burst.ipynb"
        make_notebook(src, args.cells, args.lines)
        for rep in range(args.repeats):
            from nbclient import NotebookClient

            nb = nbformat.read(str(src), as_version=4)
            NotebookClient(nb, kernel_name="deno", timeout=120,
                           resources={"metadata": {"path": tmp}}).execute()
            r, w = score(nb, args.lines)
            print(f"run {rep + 1}: nbclient (nbconvert --execute): {r}/{expected} in place, "
                  f"{w} in a wrong cell")
            for grace in ("0", "0.3"):
                out = Path(tmp) / f"out_{grace}"
                subprocess.run([sys.executable, str(ROOT / "tools" / "nb_run.py"), "--no-html",
                                "--grace", grace, "--out-dir", str(out), str(src)],
                               check=True, stderr=subprocess.DEVNULL)
                r, w = score(nbformat.read(str(out / "burst.ipynb"), as_version=4), args.lines)
                print(f"run {rep + 1}: nb_run --grace {grace:<3}: {r}/{expected} in place, "
                      f"{w} in a wrong cell")
                if grace == "0.3" and (r != expected or w != 0):
                    failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
