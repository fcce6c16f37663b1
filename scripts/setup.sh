#!/usr/bin/env bash
# Installs what a fresh Debian machine with Node 20 lacks, then the workspace.
# Idempotent: re-running it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # Dawn's OpenGL ES backend on Mesa's software renderer (WebGPU tests without a GPU)
  libegl-dev libegl-mesa0 libgl1-mesa-dri
  # headless Chromium for backend-webgpu's browser test (WebGPU on its bundled SwiftShader)
  chromium
  # the full Fashion-MNIST (/usr/share/datasets/fashion-mnist) for the reference-accuracy tests
  dataset-fashion-mnist
)
PNPM_VERSION=10.34.9

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --loglevel=error
fi

# onnxruntime-node's postinstall downloads from the internet; its binary ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
pnpm install --frozen-lockfile --reporter=append-only
