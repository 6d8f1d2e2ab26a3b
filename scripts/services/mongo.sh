#!/usr/bin/env bash
# MongoDB for local tests without Docker: FerretDB v1, which speaks the MongoDB wire protocol
# and stores documents in SQLite (pure Go, no cgo, no server to manage). Sourced by
# scripts/services.sh after lib.sh; defines mongo_install, mongo_up, mongo_down, mongo_status.
#
# The FerretDB version and every dependency are pinned by scripts/services/ferretdb/go.mod and
# go.sum (a module of our own whose only job is to carry those pins). To upgrade:
#   cd scripts/services/ferretdb && go get -tool github.com/FerretDB/FerretDB/cmd/ferretdb@vX.Y.Z && go mod tidy
# (with the same GOPATH/GOMODCACHE/GOCACHE as _mongo_go below if you want to reuse the cache).
#
# Why the build copies the FerretDB source instead of a plain `go build <pkg>` from our module:
# FerretDB's build/version package panics at start-up ("Invalid build/version/version.txt")
# when the binary's main module is github.com/FerretDB/FerretDB and version.txt is missing;
# that file is generated from git, so it is not in the module zip. Built with Go 1.26 from our
# module, `go version -m` still names FerretDB's module as the main one, so the check runs
# and the binary panics. Go refuses -overlay for files in the module cache, so we copy the
# checksum-verified module source into the cache folder, add version.txt, and point a
# throw-away copy of our go.mod at it (-modfile + replace). Every other module still comes
# from the committed go.sum, and the binary reports its real version.

MONGO_MODULE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/ferretdb" && pwd)"
MONGO_BIN="$SERVICES_DIR/bin/ferretdb"
MONGO_DATA_DIR="$SERVICES_DIR/mongo/data"
MONGO_STATE_DIR="$SERVICES_DIR/mongo/state"
MONGO_BUILD_DIR="$CACHE_DIR/ferretdb-build"
MONGO_FERRETDB_MODULE="github.com/FerretDB/FerretDB"

# go.mod is the single source of truth for the version (status line, version.txt, sanity check).
_mongo_ferretdb_version() {
  awk -v m="$MONGO_FERRETDB_MODULE" '$1 == m { sub(/^v/, "", $2); print $2; exit }' \
    "$MONGO_MODULE_DIR/go.mod"
}

# Runs the go command with every cache under the git-ignored services folder, so a build
# neither reads nor pollutes ~/go, and with flags that make it reproducible: readonly so a
# build never rewrites the pins, no cgo because SQLite is modernc's pure-Go port, no VCS
# stamping because the project repo's state has nothing to do with FerretDB, GOWORK off so
# a go.work further up cannot change the module graph.
_mongo_go() {
  local go
  go="$(command -v go 2>/dev/null || true)"
  if [[ -z "$go" && -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go; fi
  [[ -n "$go" ]] || { log "Go (1.24 or newer) is needed to build FerretDB; none found on PATH or in /usr/local/go"; return 1; }
  GOPATH="$CACHE_DIR/go" GOMODCACHE="$CACHE_DIR/go/pkg/mod" GOCACHE="$CACHE_DIR/go/build" \
    GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 GOWORK=off \
    "$go" "$@"
}

# The build steps, run by mongo_install in a subshell with output going to the build log.
# Every step says `|| return 1` because callers run install as `mongo_install || die`, and
# bash ignores errexit inside such a condition, even in subshells that set -e again.
_mongo_build() {
  local version="$1" src
  cd "$MONGO_MODULE_DIR" || return 1
  # download verifies the zip against go.sum; the copy below is then exactly the pinned source.
  _mongo_go mod download "$MONGO_FERRETDB_MODULE" || return 1
  src="$(_mongo_go list -m -f '{{.Dir}}' "$MONGO_FERRETDB_MODULE")" || return 1
  [[ -d "$src" ]] || { echo "module source not found: '$src'"; return 1; }
  # The module cache is read-only on purpose; the copy must be writable to be replaced later.
  if [[ -d "$MONGO_BUILD_DIR" ]]; then
    chmod -R u+w "$MONGO_BUILD_DIR" && rm -rf "$MONGO_BUILD_DIR" || return 1
  fi
  mkdir -p "$MONGO_BUILD_DIR" "$(dirname "$MONGO_BIN")" || return 1
  cp -R "$src" "$MONGO_BUILD_DIR/src" && chmod -R u+w "$MONGO_BUILD_DIR/src" || return 1
  printf 'v%s\n' "$version" >"$MONGO_BUILD_DIR/src/build/version/version.txt" || return 1
  # -modfile leaves the committed go.mod untouched; go looks for go.sum next to the -modfile.
  cp go.mod go.sum "$MONGO_BUILD_DIR/" || return 1
  _mongo_go mod edit -modfile="$MONGO_BUILD_DIR/go.mod" \
    -replace="$MONGO_FERRETDB_MODULE=$MONGO_BUILD_DIR/src" || return 1
  _mongo_go build -modfile="$MONGO_BUILD_DIR/go.mod" -trimpath \
    -o "$MONGO_BIN.tmp" "$MONGO_FERRETDB_MODULE/cmd/ferretdb" || return 1
  # A binary that panics in init would otherwise only show up at the first `up`.
  "$MONGO_BIN.tmp" --version | grep "version: v$version" || return 1
  mv -f "$MONGO_BIN.tmp" "$MONGO_BIN"
}

mongo_install() {
  if [[ -x "$MONGO_BIN" && "$MONGO_BIN" -nt "$MONGO_MODULE_DIR/go.mod" && "$MONGO_BIN" -nt "$MONGO_MODULE_DIR/go.sum" ]]; then
    return 0
  fi
  local version build_log="$LOG_DIR/mongo-build.log"
  version="$(_mongo_ferretdb_version)"
  [[ -n "$version" ]] || { log "no $MONGO_FERRETDB_MODULE requirement in $MONGO_MODULE_DIR/go.mod"; return 1; }
  log "building FerretDB $version into $MONGO_BIN (the first build takes several minutes; log: $build_log)"
  # Subshell so the cd inside does not leak into the caller.
  if ! (_mongo_build "$version") >"$build_log" 2>&1; then
    rm -f "$MONGO_BIN.tmp"
    log "building FerretDB failed; last lines of $build_log:"
    tail -n 20 "$build_log" >&2
    return 1
  fi
}

# Readiness check: a real MongoDB `ping` command over the wire protocol. `ferretdb ping` is no
# use here: in v1.24 it reports success without connecting unless --setup-database is given,
# and that needs --setup-username and SCRAM authentication, which the SQLite handler refuses.
# So send OP_MSG {ping: 1, $db: "admin"} (requestID 1) by hand and accept only an OP_MSG
# (opCode 2013) that answers request 1 with ok: 1.0. Reads go byte by byte (dd bs=1) so the
# length prefix can be read without swallowing the rest of the reply. Run in its own bash
# under `timeout`, so a server that accepts but never answers cannot hang us, and the socket
# fd never leaks into the caller.
_mongo_wire_ping() {
  local len reply
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  # Header (length 51, requestID 1, responseTo 0, opCode 2013), flagBits 0, section kind 0,
  # then the 30-byte BSON document {ping: int32 1, $db: "admin"}.
  # shellcheck disable=SC2016 # `$db` is the literal field name, not an expansion
  printf '\x33\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00\x1e\x00\x00\x00\x10ping\x00\x01\x00\x00\x00\x02$db\x00\x06\x00\x00\x00admin\x00\x00' >&3 || return 1
  len="$(dd bs=1 count=4 <&3 2>/dev/null | od -An -tu4 --endian=little | tr -d ' ')"
  [[ "$len" =~ ^[0-9]+$ ]] && ((len > 16 && len < 65536)) || return 1
  reply="$(dd bs=1 count=$((len - 4)) <&3 2>/dev/null | od -An -v -tx1 | tr -d ' \n')"
  [[ "${reply:8:16}" == 01000000dd070000 && "$reply" == *016f6b00000000000000f03f* ]]
}
_mongo_ping() {
  timeout 3 bash -c "$(declare -f _mongo_wire_ping); _mongo_wire_ping \"\$1\"" _mongo_ping "$MONGO_PORT"
}

# Succeeds as soon as FerretDB answers or its process is gone, so a crash at start-up fails
# `up` at once instead of after the whole timeout.
_mongo_ready_or_dead() { ! pid_alive mongo || _mongo_ping; }

mongo_up() {
  [[ -x "$MONGO_BIN" ]] || mongo_install || return 1
  if pid_alive mongo; then
    _mongo_ping >/dev/null 2>&1 && return 0
    log "mongo: pid $(cat "$RUN_DIR/mongo.pid") is alive but does not answer; restarting it"
    stop_daemon mongo
  fi
  rm -f "$RUN_DIR/mongo.pid"
  if port_open "$MONGO_PORT"; then
    log "mongo: 127.0.0.1:$MONGO_PORT is already taken by another process (set MONGO_PORT to use another port)"
    return 1
  fi
  mkdir -p "$MONGO_DATA_DIR" "$MONGO_STATE_DIR" || return 1
  # The SQLite handler keeps one database file per MongoDB database in this folder; the URL
  # must name a folder that exists and end in '/'. --debug-addr=- turns off the HTTP debug
  # listener, which would otherwise take port 8088 and clash with other instances.
  start_daemon mongo "$MONGO_BIN" \
    --handler=sqlite \
    --sqlite-url="file:$MONGO_DATA_DIR/" \
    --listen-addr="127.0.0.1:$MONGO_PORT" \
    --state-dir="$MONGO_STATE_DIR" \
    --debug-addr=- \
    --telemetry=disable \
    --log-level=warn
  if ! wait_until mongo 30 _mongo_ready_or_dead || ! pid_alive mongo; then
    pid_alive mongo || { log "mongo exited during start-up; last lines of $LOG_DIR/mongo.log:"; tail -n 20 "$LOG_DIR/mongo.log" >&2 || true; }
    stop_daemon mongo
    return 1
  fi
}

mongo_down() { stop_daemon mongo; }

mongo_status() {
  pid_alive mongo && port_open "$MONGO_PORT" || return 1
  printf '127.0.0.1:%s pid %s (FerretDB %s, SQLite in %s)\n' \
    "$MONGO_PORT" "$(cat "$RUN_DIR/mongo.pid")" "$(_mongo_ferretdb_version)" "$MONGO_DATA_DIR"
}
