#!/usr/bin/env bash
# `npm start`: the main job from nothing. Installs the npm packages if needed, brings up the services
# the defaults point at (PostgreSQL for the keyword index, Redis, Kafka, Chroma and the model, installed on first use; START_SERVICES=0
# when you point the settings at your own), then serves every HTTP function and consumer on one
# port, ingests the bundled samples on first start and answers a question from them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-packages.sh
if [[ "${START_SERVICES:-1}" != 0 ]]; then
  bash scripts/services.sh up postgres redis kafka chroma model
fi
exec npx tsx functions/local/start.ts
