#!/usr/bin/env bash
# Installs what trustprop needs to build and test on Debian 12 (run as root).
# Packages already present are not fetched again, so repeated runs are quick.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libhdf5-dev libcli11-dev libgtest-dev libtomlplusplus-dev librandom123-dev
  libfmt-dev libspdlog-dev nlohmann-json3-dev libxxhash-dev zlib1g-dev
  libgraphblas-dev openmpi-bin libopenmpi-dev
  python3 python3-numpy python3-scipy python3-h5py python3-anndata python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi
