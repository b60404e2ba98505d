#!/usr/bin/env bash
# Longer fuzzing: HOURS of wall time shared by all targets, two at a time, keeping the inputs that
# add coverage in the committed corpus (tests/fuzz/corpus/<target>/; review and commit them).
#
#   tests/fuzz/run-long.sh HOURS        (a decimal, for example 0.5 or 8)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -ne 1 ] || ! [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
  echo "usage: tests/fuzz/run-long.sh HOURS" >&2
  exit 1
fi
target_count=8
# Each pair of targets runs for its share: HOURS * 3600 / (target_count / 2) seconds.
seconds=$(awk -v hours="$1" -v pairs=$((target_count / 2)) 'BEGIN { printf "%d", hours * 3600 / pairs }')
exec tests/fuzz/run.sh "$seconds" --keep
