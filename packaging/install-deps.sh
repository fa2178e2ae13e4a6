#!/usr/bin/env bash
# Installs everything needed to build, test and run Tantra Weight Manager on Debian 12,
# from Debian's own packages. Idempotent. Runs apt-get through sudo unless already root.
#   packaging/install-deps.sh          build + runtime + tests
#   packaging/install-deps.sh --ci     also clang/libFuzzer, Xvfb, packaging validators, PyTorch
#                                      and Ceph's S3 gateway (the torch and S3 tests skip without)
set -euo pipefail

packages=(
    g++ cmake ninja-build pkg-config file
    qt6-base-dev qt6-base-dev-tools qt6-svg-dev libqt6svg6 qt6-qpa-plugins
    libyaml-cpp-dev libquazip1-qt6-dev libssl-dev openssl libcurl4-openssl-dev ca-certificates
    libgl-dev libxkbcommon-dev
    pybind11-dev python3-dev python3-numpy python3-pytest
)
if [[ "${1:-}" == "--ci" ]]; then
    packages+=(clang libclang-rt-14-dev xvfb xauth imagemagick
               desktop-file-utils appstream-util man-db dpkg-dev fakeroot
               python3-torch
               ceph-mon ceph-osd radosgw ceph-common curl)
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
