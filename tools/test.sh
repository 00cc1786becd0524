#!/usr/bin/env bash
# `deno task test` (what CI runs): idempotent setup (Deno Jupyter kernel registered under
# .jupyter/data, npm deps cached), then the whole test suite. Extra arguments go to
# `deno test` (e.g. `deno task test tests/notebook_e2e_test.ts`); default: tests/.
# `--quick` (`deno task test:quick`, the edit-test loop) skips the slow end-to-end tier:
# files named `*_e2e_test.ts` (real training processes, notebooks, browsers). CI runs both.
# After Deno's own summary ("ok | N passed | M failed (…)") a plain closing line
# "tests: N passed, M failed, K skipped" is printed for log readers; the exit code is Deno's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
if [ "${1:-}" = "--quick" ]; then
  shift
  quick=()
  for f in tests/*_test.ts; do
    case "$f" in *_e2e_test.ts) ;; *) quick+=("$f") ;; esac
  done
  set -- "$@" "${quick[@]}"
elif [ $# -eq 0 ]; then
  set -- tests/
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
NO_COLOR=1 deno test --allow-all "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
summary="$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)"
if [ -n "$summary" ]; then
  passed="$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$summary")"
  failed="$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")"
  ignored="$(grep -oE '[0-9]+ ignored' <<<"$summary" | grep -oE '[0-9]+' || echo 0)"
  echo "tests: ${passed} passed, ${failed} failed, ${ignored} skipped"
fi
exit "$rc"
