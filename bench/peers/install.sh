#!/usr/bin/env bash
# Installs the peers of `npm run bench -- peers` into .services/bench-peers (gitignored), never into
# the project's own dependencies, so `npm ci` and `npm test` never pay for them:
#   node/  npm ci of bench/peers/package.json (LangChain.js, transformers.js 3.8, chromadb, pg)
#   venv/  python3 -m venv --system-site-packages over Debian's python3-torch (CPU; PyPI's default
#          torch wheel pulls about 2 GB of CUDA packages), with bench/peers/requirements.txt
# Each part is redone only when its input files changed. Several runs at once take turns on a lock.
# Usage: bench/peers/install.sh [--check] [node] [python] (both when none
# named); --check installs nothing and exits 1 when a part is missing or stale.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${BENCH_PEERS_DIR:-$root/.services/bench-peers}"
check=0
if [[ "${1:-}" == "--check" ]]; then
  check=1
  shift
fi
parts=("$@")
((${#parts[@]})) || parts=(node python)

log() { printf 'bench-peers: %s\n' "$*" >&2; }
# A part's stamp: the sha256 of its input files (a change to one of them reinstalls that part).
stamp_of() { (cd "$here" && sha256sum "$@") | sha256sum | cut -d' ' -f1; }
fresh() { [[ -f "$1/.installed" && "$(cat "$1/.installed")" == "$2" ]]; }

node_stamp() { stamp_of package.json package-lock.json .npmrc; }
python_stamp() { stamp_of requirements.txt constraints.txt; }

if ((check)); then
  for part in "${parts[@]}"; do
    case "$part" in
      node) fresh "$target/node" "$(node_stamp)" || exit 1 ;;
      python) fresh "$target/venv" "$(python_stamp)" || exit 1 ;;
      *) log "unknown part $part (node, python)"; exit 2 ;;
    esac
  done
  exit 0
fi

mkdir -p "$target"
exec {lock}>"$target/.install.lock"
flock "$lock"

install_node() {
  local dir="$target/node" stamp
  stamp="$(node_stamp)"
  fresh "$dir" "$stamp" && return 0
  log "installing the Node peers into $dir (npm ci)"
  mkdir -p "$dir"
  rm -f "$dir/.installed"
  cp "$here/package.json" "$here/package-lock.json" "$here/.npmrc" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >"$target/npm.log" 2>&1) || {
    tail -n 20 "$target/npm.log" >&2
    log "npm ci failed (see $target/npm.log)"
    return 1
  }
  printf '%s\n' "$stamp" >"$dir/.installed"
}

install_python() {
  local dir="$target/venv" stamp
  stamp="$(python_stamp)"
  fresh "$dir" "$stamp" && return 0
  log "installing the Python peer into $dir (Debian's python3-torch, then pip)"
  # Debian's interpreter, not whatever python3 comes first on PATH: the venv sees Debian's torch.
  if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    command -v apt-get >/dev/null || { log "python3-torch is missing and there is no apt-get"; return 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends python3-torch python3-venv >"$target/apt.log" 2>&1 || {
      apt-get update >>"$target/apt.log" 2>&1
      apt-get install -y --no-install-recommends python3-torch python3-venv >>"$target/apt.log" 2>&1
    } || { tail -n 20 "$target/apt.log" >&2; log "apt-get install python3-torch failed"; return 1; }
  fi
  rm -rf "$dir"
  /usr/bin/python3 -m venv --system-site-packages "$dir"
  # --no-compile: byte-compiling a hundred packages up front costs more than it saves for one run.
  "$dir/bin/pip" install --disable-pip-version-check -q --no-compile \
    -r "$here/requirements.txt" -c "$here/constraints.txt" >"$target/pip.log" 2>&1 || {
    tail -n 20 "$target/pip.log" >&2
    log "pip install failed (see $target/pip.log)"
    return 1
  }
  printf '%s\n' "$stamp" >"$dir/.installed"
}

for part in "${parts[@]}"; do
  case "$part" in
    node) install_node ;;
    python) install_python ;;
    *) log "unknown part $part (node, python)"; exit 2 ;;
  esac
done
