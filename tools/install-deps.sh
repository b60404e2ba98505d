#!/usr/bin/env bash
# Installs fundtrail's build and test dependencies from Debian 12 packages. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake g++ pkg-config
  librocksdb-dev capnproto libcapnp-dev libssl-dev libspdlog-dev libgtest-dev
  libcli11-dev nlohmann-json3-dev libutf8proc-dev libtomlplusplus-dev
  # the libFuzzer targets (tests/fuzz): clang 14 and its runtime (libFuzzer, ASan, UBSan)
  clang-14 libclang-rt-14-dev
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
