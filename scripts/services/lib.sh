#!/usr/bin/env bash
# Shared helpers for the per-service scripts. Sourced, never run.
# Every service keeps its binaries, caches and data under $SERVICES_DIR (git-ignored),
# listens on loopback only, and is identified by a pid file so up/down are idempotent.

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SERVICES_DIR="${SERVICES_DIR:-$ROOT/.services}"
CACHE_DIR="$SERVICES_DIR/cache"
RUN_DIR="$SERVICES_DIR/run"
LOG_DIR="$SERVICES_DIR/logs"
mkdir -p "$CACHE_DIR" "$RUN_DIR" "$LOG_DIR"

# Ports are the config defaults (core/config) and docker-compose.yml's host ports;
# offset from the usual ones so a system instance on the standard port never clashes, and
# below Linux's ephemeral range (32768-60999), where an outgoing connection's source port
# could take a service's port before the service binds it.
PG_PORT="${PG_PORT:-15432}"
REDIS_PORT="${REDIS_PORT:-16379}"
MONGO_PORT="${MONGO_PORT:-17017}"
CHROMA_PORT="${CHROMA_PORT:-18000}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# port_open PORT -> 0 when something accepts TCP connections on 127.0.0.1:PORT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until NAME SECONDS CMD... -> polls CMD every 0.5 s; fails naming the service and its log
wait_until() {
  local name="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "$name did not become ready within ${seconds}s; last lines of $LOG_DIR/$name.log:"
      tail -n 20 "$LOG_DIR/$name.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
}

# with_up_lock NAME TIMEOUT_S FUNCTION: runs `FUNCTION LOCK_FD` holding $RUN_DIR/NAME.lock, so two
# `up`s at once (parallel test runners) take turns and the second finds the service up.
with_up_lock() {
  local name="$1" timeout="$2" run="$3" lock_fd rc=0
  exec {lock_fd}>"$RUN_DIR/$name.lock"
  if ! flock -w "$timeout" "$lock_fd"; then
    exec {lock_fd}>&-
    log "$name: another 'up' held $RUN_DIR/$name.lock for too long"
    return 1
  fi
  "$run" "$lock_fd" || rc=$?
  exec {lock_fd}>&-
  return "$rc"
}

# proc_start_time PID -> the process's start time in clock ticks since boot (field 22 of /proc/PID/stat,
# counted after the parenthesised command name, which may hold spaces); empty when there is no such process.
proc_start_time() { sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# pid_owned NAME -> 0 when NAME's pid file names a live process that is still the one start_daemon
# started: a pid reused by another process after a crash or reboot has another start time.
pid_owned() {
  local f="$RUN_DIR/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  kill -0 "$pid" 2>/dev/null || return 1
  # Pid files written before start times were recorded have none: trust them as before.
  [[ -f "$RUN_DIR/$1.start" ]] || return 0
  [[ "$(proc_start_time "$pid")" == "$(cat "$RUN_DIR/$1.start")" ]]
}

pid_alive() { pid_owned "$1"; }

# start_daemon NAME CMD... -> runs CMD detached (own session, survives the caller), records its pid
# and its start time (so no later stop signals a stranger that inherited the pid)
start_daemon() {
  local name="$1"; shift
  setsid nohup "$@" >>"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN_DIR/$name.pid"
  proc_start_time $! >"$RUN_DIR/$name.start"
}

# stop_daemon NAME -> TERM, wait up to 20 s, then KILL, only if the pid file still names the process
# start_daemon started; removes the pid file either way
stop_daemon() {
  local name="$1" f="$RUN_DIR/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if ! pid_owned "$name"; then
    kill -0 "$pid" 2>/dev/null && log "$name: pid $pid belongs to another process now; not signalling it"
    rm -f "$f" "$RUN_DIR/$name.start"
    return 0
  fi
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f" "$RUN_DIR/$name.start"
}

apt_install() {
  local missing=()
  for package in "$@"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
  ((${#missing[@]} == 0)) && return 0
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1; then
    apt-get update >>"$LOG_DIR/apt.log" 2>&1 || true
    apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1 \
      || die "apt-get install ${missing[*]} failed (see $LOG_DIR/apt.log)"
  fi
}
