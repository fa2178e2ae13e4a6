#!/usr/bin/env bash
# Builds the .deb and .tar.gz from the release preset, validates the desktop metadata,
# installs the package on this machine and smoke-tests the installed binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake --preset release
cmake --build --preset release -j "$(nproc)"
(cd build/release && cpack -G "DEB;TGZ")
deb=$(ls "$PWD"/build/release/tantra-weight-manager_*_amd64.deb)
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"

desktop-file-validate packaging/org.tantra.WeightManager.desktop
appstream-util validate-relax --nonet packaging/org.tantra.WeightManager.metainfo.xml

sudo=()
[[ $(id -u) -ne 0 ]] && sudo=(sudo)
# --reinstall: a rerun on a machine that already has this version must test the new build.
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --reinstall "$deb"

# From the installed paths, not the build tree.
cd /
tantra-model-manager --version
tantra-weights --version
ws=$(mktemp -d)
tantra-model-manager --root "$ws" setup
tantra-model-manager --root "$ws" validate mamba --version sample --deep
tantra-model-manager --root "$ws" list-weights
QT_QPA_PLATFORM=offscreen tantra-weights --smoke-test --workspace "$ws"
# The Python module from dist-packages, on the same workspace (Debian's python3, not a shim).
/usr/bin/python3 -c 'import sys, tantra_weights as tw; w = tw.load_model_weights("mamba", root=sys.argv[1]); print(tw.__file__, len(w), "tensors")' "$ws"
# …and its own setup, which must find the installed default configs.
pyws=$(mktemp -d)
/usr/bin/python3 -c 'import sys, tantra_weights as tw; print(tw.WeightManager(sys.argv[1]).setup()["samples"])' "$pyws"
rm -rf "$pyws"
man -w tantra-model-manager
man -w tantra-weights
test -f /usr/share/bash-completion/completions/tantra-model-manager
grep -q 'safetensors' /usr/share/mime/globs2 || { echo "the .safetensors MIME type is not registered" >&2; exit 1; }
# A double-click on a .safetensors file opens the app: the association the desktop reads.
grep -q '^application/x-safetensors=.*org.tantra.WeightManager.desktop' /usr/share/applications/mimeinfo.cache \
    || { echo ".safetensors files are not associated with tantra-weights" >&2; exit 1; }
rm -rf "$ws"
echo "package OK: $deb"
