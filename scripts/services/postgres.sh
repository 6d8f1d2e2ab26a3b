# PostgreSQL 15 from Debian, run as our own instance on loopback (never the system one).
# PostgreSQL refuses to run as root and CI runs as root, so everything runs as the
# `postgres` system user that the Debian package creates, with the data folder owned by it.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_HOME="$SERVICES_DIR/postgres"
PG_DATA="$PG_HOME/data"
PG_USER_NAME="${PG_USER_NAME:-chat}"
PG_USER_PASSWORD="${PG_USER_PASSWORD:-chat}"
# Integration tests only touch databases whose name ends in _test (test/support refuses others).
# chat_search holds the keyword index (SEARCH_DATABASE_URL); chat_search_test is the tests' one.
# chat_search_rum_test: the one test database with the rum extension, for the opt-in RUM index's tests.
PG_DATABASES=(chat chat_test chat_search chat_search_test chat_search_rum_test)

pg_as_postgres() { runuser -u postgres -- "$@"; }

postgres_install() {
  # RUM (an index that returns full-text matches in rank order) serves the keyword index's ranking;
  # without it the keyword index falls back to GIN, slower on large sources (docs/retrieval.md).
  apt_install postgresql-15 postgresql-15-rum
  id postgres >/dev/null 2>&1 || die "the postgres system user is missing after installing postgresql-15"
  mkdir -p "$PG_HOME"
  # The postgres user must be able to reach the data folder through the project path.
  chmod o+x "$ROOT" "$SERVICES_DIR" 2>/dev/null || true
  chown postgres:postgres "$PG_HOME"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "initialising PostgreSQL data in $PG_DATA"
    local password_file="$PG_HOME/.initpw"
    printf '%s\n' "$PG_USER_PASSWORD" >"$password_file"
    chown postgres:postgres "$password_file"; chmod 600 "$password_file"
    pg_as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >>"$LOG_DIR/postgres.log" 2>&1 || die "initdb failed"
    rm -f "$password_file"
    cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_HOME'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
max_connections = 200
# Logical decoding, for change data capture through Debezium.
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
CONF
    echo "host replication all 127.0.0.1/32 scram-sha-256" >>"$PG_DATA/pg_hba.conf"
    touch "$PG_HOME/.needs-bootstrap"
  fi
}

postgres_up() {
  # The server log lives beside the data: the postgres user cannot write root's log folder.
  if ! pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_HOME/server.log" -o "-p $PG_PORT" -w -t 60 start >/dev/null; then
    tail -n 20 "$PG_HOME/server.log" >&2 2>/dev/null
    return 1
  fi
  local psql=("$PG_BIN/psql" -h "$PG_HOME" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q)
  if [[ -f "$PG_HOME/.needs-bootstrap" ]]; then
    pg_as_postgres "${psql[@]}" -c "CREATE ROLE $PG_USER_NAME LOGIN REPLICATION CREATEDB PASSWORD '$PG_USER_PASSWORD'" || return 1
    rm -f "$PG_HOME/.needs-bootstrap"
  fi
  postgres_create_databases
}

# Creates whichever of PG_DATABASES is missing, so data folders made by an older version gain new ones.
postgres_create_databases() {
  local psql=("$PG_BIN/psql" -h "$PG_HOME" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q)
  # DROP DATABASE ... WITH (FORCE) ends every session in the database, autovacuum's included; on
  # PostgreSQL 15 an autovacuum worker has no role, so only pg_signal_backend lets a non-superuser end it.
  # Granted on every start and status check so data folders made before this line gain it too; granting twice is a notice.
  pg_as_postgres "${psql[@]}" -c "SET client_min_messages = warning; GRANT pg_signal_backend TO $PG_USER_NAME" || return 1
  local database
  for database in "${PG_DATABASES[@]}"; do
    if [[ "$(pg_as_postgres "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]]; then
      pg_as_postgres "${psql[@]}" -c "CREATE DATABASE $database OWNER $PG_USER_NAME" || return 1
    fi
  done
  postgres_enable_rum
}

# The keyword index's databases get the rum extension (only a superuser may create it), so
# SEARCH_TEXT_INDEX=rum can be turned on. A server still running the binaries from before an upgrade
# cannot load it until restarted; the default GIN index does not need it, so this never fails the start.
postgres_enable_rum() {
  local database
  for database in chat_search chat_search_test chat_search_rum_test; do
    pg_as_postgres "$PG_BIN/psql" -h "$PG_HOME" -p "$PG_PORT" -U postgres -d "$database" -q \
      -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS rum" >/dev/null 2>&1 \
      || log "the rum extension is not loadable in $database (restart postgres after an upgrade): SEARCH_TEXT_INDEX=rum cannot be used there"
  done
}

postgres_down() {
  [[ -f "$PG_DATA/postmaster.pid" ]] || return 0
  pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
}

postgres_status() {
  [[ -f "$PG_DATA/postmaster.pid" ]] || return 1
  "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q || return 1
  # A running instance from an older checkout may lack a database this one needs.
  postgres_create_databases >/dev/null 2>&1 || return 1
  echo "127.0.0.1:$PG_PORT pid $(head -n1 "$PG_DATA/postmaster.pid") databases ${PG_DATABASES[*]}"
}

# pg_admin_sql DATABASE SQL -> runs SQL as the postgres superuser over the local socket
# (tests use it to create a throwaway role with a password of their own).
pg_admin_sql() {
  pg_as_postgres "$PG_BIN/psql" -h "$PG_HOME" -p "$PG_PORT" -U postgres -d "$1" -v ON_ERROR_STOP=1 -q -c "$2"
}
