#!/usr/bin/env bash
# A real Synapse homeserver on loopback for echeancier's tests.
#   synapse.sh start DIR PORT   generate a configuration, start, wait, register users
#   synapse.sh stop DIR
#   synapse.sh resume DIR       start again a stopped one (same port, same data)
# Users (password "motdepasse"): bot, claire (head of school), dasen, intrus,
# veilleur, sentinelle (a bot whose account a test lets expire) and admin
# (a server administrator, for the account validity admin API).
set -euo pipefail
cmd=$1
dir=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
py="$here/.venv/bin/python"

case "$cmd" in
start)
    port=$3
    rm -rf "$dir"
    mkdir -p "$dir"
    "$py" -m synapse.app.homeserver --server-name localhost --config-path "$dir/hs.yaml" \
        --data-directory "$dir" --generate-config --report-stats=no >/dev/null
    # Loopback only, no federation, generous rate limits for the tests.
    "$py" - "$dir/hs.yaml" "$port" <<'PY'
import sys, yaml
path, port = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    c = yaml.safe_load(f)
c["listeners"] = [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                   "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}]
c["trusted_key_servers"] = []
c["suppress_key_server_warning"] = True
c["federation_domain_whitelist"] = []
c["enable_registration"] = False
c["url_preview_enabled"] = False
c["presence"] = {"enabled": False}
# Accounts expire unless renewed, as on Tchap (Synapse's built-in account
# validity); a test moves one account's expiry with the admin API.
c["account_validity"] = {"enabled": True, "period": "30d"}
big = {"per_second": 1000, "burst_count": 10000}
for key in ["rc_message", "rc_registration", "rc_joins", "rc_invites", "rc_3pid_validation",
            "rc_admin_redaction", "rc_room_creation", "rc_reports", "rc_key_requests"]:
    c[key] = big
c["rc_login"] = {"address": big, "account": big, "failed_attempts": big}
c["rc_joins"] = {"local": big, "remote": big}
c["rc_invites"] = {"per_room": big, "per_user": big, "per_issuer": big}
with open(path, "w") as f:
    yaml.safe_dump(c, f)
PY
    sed -i 's/level: INFO/level: WARNING/' "$dir"/*.log.config
    # Detached from our standard output, so that "$(synapse.sh start ...)" returns.
    cd "$dir"
    nohup "$py" -m synapse.app.homeserver -c "$dir/hs.yaml" </dev/null >"$dir/stdout.log" 2>&1 &
    echo $! >"$dir/pid"
    echo "$port" >"$dir/port"
    cd "$here"
    for _ in $(seq 1 120); do
        if "$py" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then
            break
        fi
        "$py" -c "import time; time.sleep(0.5)"
    done
    for user in bot claire dasen intrus veilleur sentinelle; do
        "$here/.venv/bin/register_new_matrix_user" -u "$user" -p motdepasse --no-admin \
            -c "$dir/hs.yaml" "http://127.0.0.1:$port" >/dev/null
    done
    "$here/.venv/bin/register_new_matrix_user" -u admin -p motdepasse -a \
        -c "$dir/hs.yaml" "http://127.0.0.1:$port" >/dev/null
    echo "http://127.0.0.1:$port"
    ;;
stop)
    if [ -f "$dir/pid" ]; then
        pid=$(cat "$dir/pid")
        kill "$pid" 2>/dev/null || true
        # Gone before we return: a resume must not race the old process.
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    ;;
resume)
    port=$(cat "$dir/port")
    cd "$dir"
    nohup "$py" -m synapse.app.homeserver -c "$dir/hs.yaml" </dev/null >>"$dir/stdout.log" 2>&1 &
    echo $! >"$dir/pid"
    cd "$here"
    for _ in $(seq 1 120); do
        if "$py" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then
            exit 0
        fi
        "$py" -c "import time; time.sleep(0.5)"
    done
    echo "synapse did not come back" >&2
    exit 1
    ;;
esac
