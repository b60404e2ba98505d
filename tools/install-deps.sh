#!/usr/bin/env bash
# Installs fundtrail's build and test dependencies from Debian 12 packages. Run as root.
#   tools/install-deps.sh           what the build and `fundtrail demo` need
#   tools/install-deps.sh --tests   also what the tests need beyond that: Debian's headless Chromium
#                                   with CJK fonts (`fundtrail report --pdf`) and poppler-utils
#                                   (pdftoppm, pdfinfo, pdftotext: the report tests read the PDF),
#                                   and chromium-driver with python3-selenium (the dashboard's
#                                   browser tests, tests/browser)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake g++ pkg-config
  librocksdb-dev capnproto libcapnp-dev libssl-dev libspdlog-dev libgtest-dev
  libcli11-dev nlohmann-json3-dev libutf8proc-dev libtomlplusplus-dev
  # PU-1's lexicon: traditional to simplified Chinese (OpenCC, with its t2s data)
  libopencc-dev libopencc-data
  # the audit report's templates (fundtrail report): kainjow-mustache, header only
  libkainjow-mustache-dev
  # the dashboard's charts (fundtrail serve), compiled into the binary: Chart.js 3.9.1
  libjs-chart.js
  # the libFuzzer targets (tests/fuzz): clang 14 and its runtime (libFuzzer, ASan, UBSan)
  clang-14 libclang-rt-14-dev
)
case "${1:-}" in
  "") ;;
  --tests) packages+=(chromium fonts-noto-cjk poppler-utils chromium-driver python3-selenium) ;;
  *) echo "usage: tools/install-deps.sh [--tests]" >&2; exit 1 ;;
esac
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
