#!/usr/bin/env bash
# Execute notebooks headless on the project's Deno kernel (tools/nb_run.py).
#   tools/nb.sh --quick [nb...]   RLT_QUICK=1, outputs in reports/quick/ (`deno task nb`)
#   tools/nb.sh --report [nb...]  full run, reports/<name>.html + reports/index.html
#                                 (`deno task report`)
# Default notebooks: notebooks/*.ipynb. Every notebook runs even if one fails; the exit
# status is non-zero when any cell errored or timed out (partial HTML is still written).
# Extra runner flags via NB_RUN_ARGS, e.g. NB_RUN_ARGS="--timeout 300 --grace 0.5".
set -euo pipefail
cd "$(dirname "$0")/.."
mode=quick
if [ $# -gt 0 ]; then
  case "$1" in
    --quick) mode=quick; shift ;;
    --report) mode=report; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  esac
fi
bash tools/setup.sh >/dev/null
if [ $# -gt 0 ]; then
  notebooks=("$@")
else
  shopt -s nullglob
  notebooks=(notebooks/*.ipynb)
fi
if [ ${#notebooks[@]} -eq 0 ]; then
  echo "nb: no notebooks found" >&2
  exit 1
fi
# shellcheck disable=SC2086
if [ "$mode" = quick ]; then
  exec /usr/bin/python3 tools/nb_run.py --quick --out-dir reports/quick ${NB_RUN_ARGS:-} "${notebooks[@]}"
else
  exec /usr/bin/python3 tools/nb_run.py --index --out-dir reports ${NB_RUN_ARGS:-} "${notebooks[@]}"
fi
