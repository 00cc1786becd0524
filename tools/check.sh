#!/usr/bin/env bash
# `deno task check`: formatting, lint, type-check of lib/cli/tests/bench/tools and of the
# notebooks' code cells (tools/nb_check.ts). Runs every step, fails if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
step() {
  echo "== $*"
  "$@" || { echo "check: FAILED: $*" >&2; status=1; }
}
step deno fmt --check
step deno lint
dirs=()
for d in lib cli tests bench tools; do
  if [ -d "$d" ] && [ -n "$(find "$d" -name '*.ts' -print -quit)" ]; then dirs+=("$d"); fi
done
[ ${#dirs[@]} -gt 0 ] && step deno check "${dirs[@]}"
step deno run --allow-all tools/nb_check.ts
[ $status -eq 0 ] && echo "check: ok" || echo "check: FAILED" >&2
exit $status
