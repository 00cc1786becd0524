#!/usr/bin/env bash
# `deno task test` (what CI runs): idempotent setup (Deno Jupyter kernel registered under
# .jupyter/data, npm deps cached), then the whole test suite. Extra arguments go to
# `deno test` (e.g. `deno task test tests/notebook_test.ts`); default: tests/.
# Deno's own summary line ("ok | N passed | M failed (…)") is the last line printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
if [ $# -eq 0 ]; then set -- tests/; fi
exec deno test --allow-all "$@"
