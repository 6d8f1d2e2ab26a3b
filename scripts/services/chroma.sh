# The real Chroma server, run from the chromadb npm package's `chroma` CLI (native bindings,
# pinned to 1.0.5 in package.json overrides: newer bindings need a newer glibc than Debian 12's).

CHROMA_HOME="$SERVICES_DIR/chroma"
CHROMA_CLI="$ROOT/node_modules/.bin/chroma"

chroma_install() {
  [[ -x "$CHROMA_CLI" ]] || die "chroma CLI missing: run npm ci first ($CHROMA_CLI)"
  mkdir -p "$CHROMA_HOME/data"
}

chroma_heartbeat() { curl -fsS "http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat"; }

chroma_up() {
  # Only while the server is stopped: a running one may be creating a segment's directory.
  python3 "$ROOT/scripts/services/chroma-prune.py" "$CHROMA_HOME/data"
  start_daemon chroma "$CHROMA_CLI" run --host 127.0.0.1 --port "$CHROMA_PORT" --path "$CHROMA_HOME/data"
  wait_until chroma 60 chroma_heartbeat
}

chroma_down() { stop_daemon chroma; }

chroma_status() {
  pid_alive chroma && chroma_heartbeat >/dev/null 2>&1 || return 1
  echo "127.0.0.1:$CHROMA_PORT pid $(cat "$RUN_DIR/chroma.pid")"
}
