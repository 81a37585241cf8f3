# oilfx in a container. `docker compose up` runs it with Redis (docker-compose.yml); alone:
#   docker build -t oilfx . && docker run --env-file .env oilfx
# Settings come from the environment at run time: no token or .env is ever copied into the image (.dockerignore).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The runtime requirements only (not requirements-dev.txt), in their own layer: rebuilt when they change.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# What `python bot.py` imports: the entry point and the package.
COPY bot.py ./
COPY oilfx/ ./oilfx/

# An unprivileged user; /data holds the SQLite store when REDIS_URL is unset (mount a volume there to keep it).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin oilfx \
    && mkdir /data && chown oilfx /data
USER oilfx
ENV OILFX_DB=/data/oilfx.db \
    OILFX_HEALTH_PORT=8080

# 3000: Slack's requests in HTTP mode (PORT); 8080: /healthz and /metrics (OILFX_HEALTH_PORT).
EXPOSE 3000 8080
CMD ["python", "bot.py"]
