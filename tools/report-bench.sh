#!/usr/bin/env bash
# The audit report's figure of docs/BENCHMARKS.md (a program, never a test): `fundtrail report`
# for a grant with 100,000 events, beside what its parts cost alone in the same run.
#
#   tools/report-bench.sh [BUILD_DIR] [ROWS]      (default build, 100000)
#
# Builds the demo ledger and imports ROWS expenditures of the provincial grant JS-BE2025099 through
# fundtrail-import-bench (a Kingdee-style export, one event a row), signs a head, then times, three
# runs each, the best printed:
#   baseline 1. fundtrail view spending --grant G --by month (the fold the report runs once)
#   baseline 2. fundtrail flags --subject grant:G (the rules the report evaluates once)
#   the report: fundtrail report --grant G --out FILE.html
#   the PDF, apart: fundtrail report --grant G --pdf FILE.pdf (Chromium's start and print)
set -euo pipefail
build=${1:-build}
rows=${2:-100000}
dir=/tmp/fundtrail-report-bench
fundtrail=$build/tools/fundtrail
grant=JS-BE2025099
source_dir=$(cd "$(dirname "$0")/.." && pwd)

"$build/tools/fundtrail-import-bench" --rows "$rows" --dir "$dir" >/dev/null
ledger=$dir/demo-ledger
"$fundtrail" head --ledger "$ledger" --sign-key "$source_dir/examples/power-battery/keys/operator.pem" \
  --out "$dir/head.json" >/dev/null
events=$("$fundtrail" log --ledger "$ledger" --subject "grant:$grant" --csv | tail -n +2 | wc -l)
echo "ledger: $ledger, grant $grant with $events events"

# Best of three wall-clock runs of a command, in milliseconds.
best_ms() {
  local best=""
  for _ in 1 2 3; do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    local ms=$(((end - start) / 1000000))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

as_of=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['time'][:10])" "$dir/head.json")
spending=$(best_ms "$fundtrail" view spending --ledger "$ledger" --grant "$grant" --by month)
flags=$(best_ms "$fundtrail" flags --ledger "$ledger" --subject "grant:$grant" --as-of-time "$as_of")
report=$(best_ms "$fundtrail" report --ledger "$ledger" --head "$dir/head.json" --grant "$grant" --out "$dir/report.html")
echo "baseline 1. view spending --by month:   $spending ms"
echo "baseline 2. flags --subject grant:      $flags ms"
echo "report --out (HTML):                    $report ms   (target < 2000 ms; $(stat -c %s "$dir/report.html") bytes)"
if command -v chromium >/dev/null; then
  pdf=$(best_ms "$fundtrail" report --ledger "$ledger" --head "$dir/head.json" --grant "$grant" --pdf "$dir/report.pdf")
  echo "report --pdf (HTML + Chromium):         $pdf ms"
fi
