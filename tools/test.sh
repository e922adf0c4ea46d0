#!/usr/bin/env bash
# Every test, on SQLite and on PostgreSQL 15. Starts a throwaway PostgreSQL server (in a temp
# directory, on loopback, trust auth, stopped and removed on exit) unless JIXIAO_TEST_POSTGRES
# already names one; installs PostgreSQL 15 from Debian if its binaries are missing.
# Extra arguments go to `cargo test` (e.g. `tools/test.sh -p jixiao-server`); without them the
# browser tests (tools/e2e.sh) run afterwards; JIXIAO_SKIP_E2E=1 skips them; then the pandas
# peer's agreement with `jixiao score` (tools/peer-check.sh; JIXIAO_SKIP_PEER=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

start_postgres() {
    if [ ! -x "$PGBIN/initdb" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "== installing PostgreSQL 15 (Debian)"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
        fi
        if [ ! -x "$PGBIN/initdb" ]; then
            echo "PostgreSQL 15 is not installed ($PGBIN/initdb missing); install postgresql-15 or set JIXIAO_TEST_POSTGRES" >&2
            exit 1
        fi
    fi
    PGDATA=$(mktemp -d /tmp/jixiao-pg.XXXXXX)
    # Any free port; the server listens on loopback only.
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # PostgreSQL refuses to run as root: run it as the postgres user when we are root.
    AS=()
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
        chown postgres "$PGDATA"
        AS=(runuser -u postgres --)
    fi
    "${AS[@]}" "$PGBIN/initdb" -D "$PGDATA/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    trap 'stop_postgres' EXIT
    # Many scenarios run at once, each with its own database and pool; durability is not needed.
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA/data" -l "$PGDATA/log" -w -o \
        "-p $PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null
    export JIXIAO_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PORT/postgres"
    echo "== PostgreSQL 15 on 127.0.0.1:$PORT ($PGDATA)"
}

stop_postgres() {
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PGDATA"
}

if [ -z "${JIXIAO_TEST_POSTGRES:-}" ]; then
    start_postgres
fi
cargo test --workspace "$@"
# The browser tests run with the whole suite (not when only some crates were asked for).
if [ $# -eq 0 ] && [ "${JIXIAO_SKIP_E2E:-}" != 1 ]; then
    tools/e2e.sh
fi
# The pandas/numpy peer of `jixiao score` agrees with it unit by unit (bench/score_compare.py).
if [ $# -eq 0 ] && [ "${JIXIAO_SKIP_PEER:-}" != 1 ]; then
    tools/peer-check.sh
fi
# Generated requests over every API operation as four callers (schemathesis; a bounded run).
if [ $# -eq 0 ] && [ "${JIXIAO_SKIP_FUZZ:-}" != 1 ]; then
    tools/api-fuzz.sh
fi
