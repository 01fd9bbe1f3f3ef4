# Ragtime bot image (README "Deploying with Docker"): `docker build -t ragtime .`, then
# `docker compose up -d` (compose.yaml: PostgreSQL + serve + worker) or, with SQLite on the
# data volume, `docker run -d --env-file .env -p 3000:3000 -v ragtime-data:/home/ragtime/data ragtime`.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-dejavu-core fonts-liberation postgresql-client \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 ragtime
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ragtime ./ragtime
COPY bot ./bot
COPY handlers ./handlers
COPY schedules ./schedules
COPY storage ./storage
RUN pip install --no-cache-dir .

USER ragtime
ENV DATABASE_URL=sqlite:////home/ragtime/data/ragtime.db \
    MPLCONFIGDIR=/tmp/matplotlib
RUN mkdir -p /home/ragtime/data
VOLUME ["/home/ragtime/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"
CMD ["ragtime", "serve", "--host", "0.0.0.0", "--port", "3000"]
