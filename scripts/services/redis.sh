# Redis 7 from Debian, our own instance on loopback with data under .services/redis.

REDIS_HOME="$SERVICES_DIR/redis"

redis_install() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  mkdir -p "$REDIS_HOME"
}

redis_up() {
  start_daemon redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_HOME" \
    --save "" --appendonly no --protected-mode yes --daemonize no
  wait_until redis 20 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
}

redis_down() { stop_daemon redis; }

redis_status() {
  pid_alive redis && [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] || return 1
  echo "127.0.0.1:$REDIS_PORT pid $(cat "$RUN_DIR/redis.pid")"
}
