#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the tests and print its URL.
# Usage: eval "$(bash .ci/postgres.sh start)"  → exports RAGTIME_TEST_POSTGRES_URL
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PGDATA=${RAGTIME_PGDATA:-/tmp/ragtime-pg}
PGPORT=${RAGTIME_PGPORT:-54329}
RUN_AS=()
if [ "$(id -u)" = 0 ]; then RUN_AS=(runuser -u postgres --); fi

case "${1:-start}" in
  start)
    if [ -z "$PGBIN" ]; then echo "PostgreSQL is not installed" >&2; exit 1; fi
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
      mkdir -p "$PGDATA"
      [ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
      "${RUN_AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust >/dev/null
    fi
    if ! "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
        -o "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    fi
    echo "export RAGTIME_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PGPORT/postgres"
    ;;
  stop)
    "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null
    ;;
esac
