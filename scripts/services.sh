#!/usr/bin/env bash
# npm run services -- up|down|status|install [service...]
# Installs (cached under .services/), starts, stops and reports the real local services
# the tests and the local server use. Idempotent: `up` on a running service only checks it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=services/lib.sh
source "$HERE/services/lib.sh"

ALL=(postgres redis mongo kafka connect chroma model browser)
for service in "${ALL[@]}"; do source "$HERE/services/$service.sh"; done

action="${1:-status}"; shift || true
selected=("$@"); ((${#selected[@]})) || selected=("${ALL[@]}")
for service in "${selected[@]}"; do
  [[ " ${ALL[*]} " == *" $service "* ]] || die "unknown service '$service' (known: ${ALL[*]})"
done

case "$action" in
  install)
    for service in "${selected[@]}"; do "${service}_install" || die "installing $service failed"; done ;;
  up)
    for service in "${selected[@]}"; do
      "${service}_install" || die "installing $service failed"
      if "${service}_status" >/dev/null 2>&1; then log "$service already up"; continue; fi
      "${service}_up" || die "$service failed to start (logs: $LOG_DIR/$service.log)"
      log "$service up"
    done ;;
  down)
    for service in "${selected[@]}"; do "${service}_down" || log "stopping $service reported an error"; done ;;
  status)
    failed=0
    for service in "${selected[@]}"; do
      if detail="$("${service}_status" 2>/dev/null)"; then printf '%-9s up    %s\n' "$service" "$detail"
      else printf '%-9s down\n' "$service"; failed=1; fi
    done
    exit "$failed" ;;
  *) die "usage: npm run services -- up|down|status|install [${ALL[*]}]" ;;
esac
