#!/usr/bin/env bash
# `deno task notebook [jupyter flags…]`: open the notebooks in the classic Jupyter Notebook UI
# (Debian package `jupyter-notebook`) with the project's own Deno kernel (.jupyter/data).
# Extra arguments go to `jupyter notebook` (e.g. --no-browser --port 8888).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v jupyter-notebook >/dev/null 2>&1; then
  echo "notebook: the Jupyter Notebook UI is not installed." >&2
  echo "notebook: install it with: apt-get install -y --no-install-recommends jupyter-notebook" >&2
  echo "notebook: (or 'pip install notebook' / 'pip install jupyterlab' and run it with" >&2
  echo "notebook:  XDG_DATA_HOME=$PWD/.jupyter/data)" >&2
  exit 1
fi
bash tools/setup.sh >/dev/null
root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-root)
export XDG_DATA_HOME="$PWD/.jupyter/data"
exec jupyter-notebook "${root_flag[@]}" --notebook-dir=notebooks "$@"
