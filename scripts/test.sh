#!/usr/bin/env bash
# `npm test`: from nothing to every test passing. Installs npm packages, installs and starts
# the real local services (PostgreSQL, Redis, Kafka, FerretDB, Chroma) and the model, then
# typechecks, lints and runs vitest. Everything is cached, so a warm run skips the installs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ONNXRUNTIME_NODE_INSTALL=skip SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off

step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "npm packages"
bash scripts/install-packages.sh

step "services"
bash scripts/services.sh up
bash scripts/services.sh status

step "typecheck"
npx tsc --noEmit

step "lint"
npx biome check .

step "tests"
mkdir -p .services/reports
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.services/reports/vitest.json "$@" || status=$?
# One plain closing line that any CI reader understands, whatever vitest printed above.
node scripts/test-summary.mjs .services/reports/vitest.json || status=1
step "done"
exit "$status"
