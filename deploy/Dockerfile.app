# syntax=docker/dockerfile:1
# The application environment: one image for the API (uvicorn api.main:app), the action server
# (python -m cli.action_server) and the one-shot database job (python -m cli kb init).
# Build from the repository root:  docker build -f deploy/Dockerfile.app -t tthc-app .
# (BuildKit reads deploy/Dockerfile.app.dockerignore for this build.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    TTHC_DATA_DIR=/var/lib/tthc \
    TTHC_CACHE_DIR=/var/lib/tthc/cache \
    TTHC_LEARNED_NLU_PATH=/var/lib/tthc/learned.yml \
    PROMETHEUS_MULTIPROC_DIR=/run/tthc-metrics

WORKDIR /app

# The pinned runtime packages only (no test tools); --no-deps as scripts/bootstrap.sh does: the
# lock file is the whole environment, nothing is resolved at build time.
COPY requirements/app.lock.txt requirements/app.lock.txt
RUN pip install --no-deps -r requirements/app.lock.txt

COPY . .

# A non-root user; the only writable places are the data folder (a volume) and the metrics
# folder of the API's workers (a tmpfs in deploy/compose.yaml, emptied at each start).
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/tthc --no-create-home tthc \
    && mkdir -p /var/lib/tthc /run/tthc-metrics \
    && chown tthc:tthc /var/lib/tthc /run/tthc-metrics
USER tthc

EXPOSE 8000 5055
# The API by default; deploy/compose.yaml gives each service its own command.
CMD ["python", "-m", "uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log", "--no-proxy-headers"]
