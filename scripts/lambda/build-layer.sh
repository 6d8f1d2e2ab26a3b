#!/usr/bin/env bash
# Builds the Lambda layer the embedding functions share (.build/layers/embedding, mounted at /opt):
#   nodejs/node_modules/onnxruntime-node  the native ONNX runtime, Linux x64 binaries only
#   nodejs/node_modules/onnxruntime-common
#   models/<EMBEDDING_MODEL>              all-MiniLM-L6-v2 as assembled by the services script
# Function bundles leave onnxruntime-node out: transformers.js loads it with require(), which
# Lambda resolves through NODE_PATH (/opt/nodejs/node_modules). EMBEDDING_MODEL_DIR=/opt/models.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

model="${EMBEDDING_MODEL:-Xenova/all-MiniLM-L6-v2}"
source_model=".services/models/$model"
out=".build/layers/embedding"

[[ -f "$source_model/onnx/model.onnx" ]] || bash scripts/services.sh install model
rm -rf "$out"
mkdir -p "$out/nodejs/node_modules" "$out/models/$model"

cp -r node_modules/onnxruntime-node node_modules/onnxruntime-common "$out/nodejs/node_modules/"
runtime="$out/nodejs/node_modules/onnxruntime-node"
# Other platforms' binaries are 240 MB of the package; Lambda (x86_64) needs only linux/x64.
find "$runtime/bin/napi-v6" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
find "$runtime/bin/napi-v6/linux" -mindepth 1 -maxdepth 1 ! -name x64 -exec rm -rf {} +
rm -rf "$runtime/script"

cp -r "$source_model"/. "$out/models/$model/"
rm -f "$out/models/$model/.assembled"
du -sh "$out" | sed 's/^/layer: /'
