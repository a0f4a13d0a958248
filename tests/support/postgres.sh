#!/usr/bin/env bash
# PostgreSQL for the test suite, on loopback only.
#   postgres.sh start DIR   prints the URL of a maintenance database: the
#                           server on 127.0.0.1:5432 when it answers (trust
#                           auth), otherwise a throwaway cluster started in DIR
#                           on a free port (installed from Debian's packages
#                           first if the machine has no PostgreSQL at all).
#   postgres.sh stop DIR    stops the throwaway cluster, if DIR holds one.
#   postgres.sh resume DIR  starts it again (same port, same data).
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?folder}
port=${ECHEANCIER_TEST_PG_PORT:-5432}

log() { echo "postgres.sh: $*" >&2; }

answers() { # host port
    command -v psql >/dev/null 2>&1 &&
        psql "postgres://postgres@$1:$2/postgres" -Atqc "SELECT 1" >/dev/null 2>&1
}

case "$cmd" in
start)
    if answers 127.0.0.1 "$port"; then
        echo "postgres://postgres@127.0.0.1:$port/postgres"
        exit 0
    fi
    log "nothing answers on 127.0.0.1:$port: starting a throwaway cluster in $dir"
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$bin" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            log "installing PostgreSQL from Debian's packages"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >&2 ||
                { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >&2; }
            bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
        else
            log "no PostgreSQL binaries (/usr/lib/postgresql/*/bin): install the postgresql package"
            exit 1
        fi
    fi
    free=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    mkdir -p "$dir"
    # PostgreSQL refuses to run as root: use its own account when we are root.
    as=()
    if [ "$(id -u)" = 0 ]; then
        owner=postgres
        id "$owner" >/dev/null 2>&1 || owner=nobody
        chown -R "$owner" "$dir"
        as=(runuser -u "$owner" --)
    fi
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $free -k $dir -c fsync=off" start >&2 ||
        { cat "$dir/server.log" >&2; exit 1; }
    echo "$bin" >"$dir/started-here"
    echo "$free" >"$dir/port"
    echo "postgres://postgres@127.0.0.1:$free/postgres"
    ;;
resume)
    bin=$(cat "$dir/started-here")
    free=$(cat "$dir/port")
    as=()
    [ "$(id -u)" = 0 ] && as=(runuser -u "$(stat -c %U "$dir/data")" --)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $free -k $dir -c fsync=off" start >&2
    ;;
stop)
    if [ -f "$dir/started-here" ]; then
        bin=$(cat "$dir/started-here")
        as=()
        [ "$(id -u)" = 0 ] && as=(runuser -u "$(stat -c %U "$dir/data")" --)
        "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    log "usage: postgres.sh start|stop DIR"
    exit 2
    ;;
esac
