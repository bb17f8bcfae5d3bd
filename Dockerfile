# sales-align-bot container image.
#   docker build -t sales-align-bot .
#   docker compose up -d            (bot + PostgreSQL, see compose.yaml and docs/operations.md)
#
# Two stages: the builder installs the package and its dependencies into a virtualenv (with
# pip's build tooling); the runtime stage copies only that virtualenv, the wording and the
# example strategy, and runs as an unprivileged user.

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
RUN /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install /wheels/*.whl

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ALIGNBOT_PROMPTS_DIR=/app/prompts \
    ALIGNBOT_STRATEGY_FILE=/app/examples/strategy.yaml \
    ALIGNBOT_DATABASE_URL=sqlite:////data/alignbot.db \
    ALIGNBOT_CHARTS_DIR=/data/charts \
    MPLCONFIGDIR=/tmp/matplotlib \
    ALIGNBOT_HTTP_PORT=3000
RUN groupadd --system --gid 10001 alignbot \
 && useradd --system --uid 10001 --gid alignbot --home-dir /app --shell /usr/sbin/nologin alignbot \
 && mkdir -p /app /data && chown alignbot:alignbot /data
COPY --from=builder /opt/venv /opt/venv
COPY prompts /app/prompts
COPY examples /app/examples
WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
# /healthz answers while the process is alive (readiness, with the database and the platform,
# is /readyz: use it for load balancers and Kubernetes readiness probes).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ALIGNBOT_HTTP_PORT', '3000'), timeout=4)"]
# SIGTERM (docker stop) lets in-flight sends finish or releases them; see ALIGNBOT_SHUTDOWN_GRACE.
STOPSIGNAL SIGTERM
ENTRYPOINT ["alignbot"]
CMD ["run"]
