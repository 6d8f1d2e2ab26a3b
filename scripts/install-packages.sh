#!/usr/bin/env bash
# npm ci, but only when package-lock.json changed since the last install (a warm run skips it).
# onnxruntime-node must not fetch GPU binaries at install time: no package host is reachable for them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ "$(cat node_modules/.installed-lock-hash 2>/dev/null)" != "$lock_hash" ]]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" >node_modules/.installed-lock-hash
fi
