#!/usr/bin/env bash
# Idempotent project setup: checks the Jupyter pieces, registers Deno's Jupyter kernel
# INSIDE the project (XDG_DATA_HOME=<repo>/.jupyter/data, git-ignored, nothing global), and
# caches the npm dependencies of deno.json into node_modules.
# Used by `deno task setup`, tools/test.sh and tools/nb.sh. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY=/usr/bin/python3

if ! command -v deno >/dev/null 2>&1; then
  echo "setup: 'deno' is not on PATH. Install Deno 2.9.6, e.g. 'npm install -g deno@2.9.6'." >&2
  exit 1
fi

# 1. Jupyter pieces (Debian packages; the notebook runner uses /usr/bin/python3).
missing=()
[ -x "$PY" ] || missing+=("python3")
if [ -x "$PY" ]; then
  "$PY" -c "import jupyter_client" 2>/dev/null || missing+=("jupyter-client")
  "$PY" -c "import nbclient, nbformat" 2>/dev/null || missing+=("python3-nbclient")
  "$PY" -c "import nbconvert" 2>/dev/null || missing+=("jupyter-nbconvert")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: missing Jupyter pieces for $PY: ${missing[*]}" >&2
  echo "setup: install them with: apt-get install -y ${missing[*]}" >&2
  exit 1
fi

# 2. Deno kernelspec under .jupyter/data: `deno jupyter --install` writes to
#    $XDG_DATA_HOME/jupyter/kernels/deno. Always the project folder (never a global one).
JUPYTER_DATA="$ROOT/.jupyter/data"
mkdir -p "$JUPYTER_DATA"
spec="$JUPYTER_DATA/jupyter/kernels/deno/kernel.json"
deno_bin="$(command -v deno)"
if [ ! -f "$spec" ] || ! grep -qF "\"$deno_bin\"" "$spec"; then
  XDG_DATA_HOME="$JUPYTER_DATA" deno jupyter --install --force >/dev/null 2>&1 || {
    echo "setup: 'deno jupyter --install' failed (XDG_DATA_HOME=$JUPYTER_DATA)" >&2
    exit 1
  }
fi
XDG_DATA_HOME="$JUPYTER_DATA" JUPYTER_PATH="$JUPYTER_DATA/jupyter" "$PY" - "$ROOT" <<'PYEOF' || exit 1
import sys
from jupyter_client.kernelspec import KernelSpecManager
specs = KernelSpecManager().find_kernel_specs()
if not specs.get("deno", "").startswith(sys.argv[1]):
    sys.exit(f"setup: Jupyter does not see the project's 'deno' kernel: {specs}")
PYEOF

# 3. npm dependencies from deno.json into node_modules (no-op when already cached).
deno install --quiet >/dev/null 2>&1 || deno install
echo "setup: ok (deno kernel in $JUPYTER_DATA/jupyter/kernels/deno, deps cached)"
