#!/usr/bin/env bash
# Builds the libFuzzer targets (clang++-14, build-fuzz/) and fuzzes each for SECONDS, two at a
# time (one per core), starting from its committed seed corpus (tests/fuzz/corpus/<target>/).
#
#   tests/fuzz/run.sh SECONDS [--keep] [TARGET...]
#
# New inputs go to build-fuzz/corpus/<target>/, never into the repository, unless --keep is given:
# then those that add coverage are merged into tests/fuzz/corpus/<target>/ (libFuzzer -merge=1).
# A crash is saved as build-fuzz/crashes/<target>/crash-<sha1> and fails the run (exit 1);
# each target's log is build-fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: tests/fuzz/run.sh SECONDS [--keep] [TARGET...]" >&2
  exit 1
fi
seconds=$1
shift
keep=0
if [ "${1:-}" = "--keep" ]; then
  keep=1
  shift
fi
all_targets=(json_lines event submission bundle inclusion_proof tree_head witness_policy consistency_proof)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz -DFUNDTRAIL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j2 --target fuzz_targets

mkdir -p build-fuzz/logs
fuzz_one() {
  local target=$1
  local binary=build-fuzz/tests/fuzz/fuzz_$target
  mkdir -p "build-fuzz/corpus/$target" "build-fuzz/crashes/$target"
  # -rss_limit_mb and -malloc_limit_mb: an input that makes a parser allocate gigabytes is a bug.
  # With FUZZ_SEED set (CI), each target makes a fixed number of runs from that seed instead of
  # running for SECONDS: the same inputs on every machine, so CI fails only on a real finding and
  # a finding reproduces. The counts take about 60 s each on a quiet 2-core machine.
  local limit=(-max_total_time="$seconds")
  if [ -n "${FUZZ_SEED:-}" ]; then
    local runs
    case "$target" in
      bundle) runs=5000 ;;
      json_lines) runs=40000 ;;
      event | submission) runs=500000 ;;
      *) runs=80000 ;;
    esac
    limit=(-seed="$FUZZ_SEED" -runs="$runs")
  fi
  if ! "$binary" "${limit[@]}" -timeout=25 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$target/" \
      "build-fuzz/corpus/$target" "tests/fuzz/corpus/$target" >"build-fuzz/logs/$target.log" 2>&1; then
    echo "fuzz $target: FAILED, see build-fuzz/logs/$target.log and build-fuzz/crashes/$target/"
    return 1
  fi
  local runs coverage
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/logs/$target.log" | grep -o '[0-9]*$' || true)
  coverage=$(grep -o 'cov: [0-9]*' "build-fuzz/logs/$target.log" | tail -n 1 || true)
  echo "fuzz $target: ok, ${runs:-?} inputs, ${coverage:-cov: ?}"
  if [ "$keep" = 1 ]; then
    "$binary" -merge=1 "tests/fuzz/corpus/$target" "build-fuzz/corpus/$target" \
      >>"build-fuzz/logs/$target.log" 2>&1
  fi
}
export -f fuzz_one
export seconds keep
# Two targets at a time: one per core of the 2-core CI machine.
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'fuzz_one {}'
