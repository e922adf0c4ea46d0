#!/usr/bin/env bash
# Generated requests over every operation of the OpenAPI document (schemathesis), against the
# demo district, as four callers: anonymous, the office (session cookie + CSRF token), a
# reporter (session) and an API key. Passes when no answer is a server error (5xx) and every
# answer matches the document (status's schema, content type). Bounded: API_FUZZ_EXAMPLES
# examples per operation and phase (default 20), fixed seed, so a CI run takes a few minutes.
#
# schemathesis comes from PyPI into a virtual environment of its own (API_FUZZ_VENV, default
# ~/.cache/jixiao-schemathesis); the server is the debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv=${API_FUZZ_VENV:-$HOME/.cache/jixiao-schemathesis}
if [ ! -x "$venv/bin/st" ]; then
    echo "== installing schemathesis into $venv"
    python3 -m venv "$venv" 2>/dev/null || {
        rm -rf "$venv"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    }
    "$venv/bin/pip" install -q "schemathesis>=4.32,<5"
fi

cargo build -q -p jixiao
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
(cd "$work" && exec "$root/target/debug/jixiao" demo --listen "127.0.0.1:$port" >out.txt 2>err.txt) &
pid=$!
cleanup() {
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 240); do
    curl -sf "$base/api/v1/ready" >/dev/null && break
    sleep 0.5
done
curl -sf "$base/api/v1/ready" >/dev/null || { echo "the demo did not start:"; cat "$work/err.txt"; exit 1; }

password() { awk -v u="$1" '$1 == u { print $2 }' "$work/out.txt"; }

# Signs in (and makes the first-sign-in password change); prints the cookie and the CSRF token,
# or with a role as the third argument, an API key of that role made by this account.
signin() {
    python3 - "$base" "$1" "$(password "$1")" "${2:-}" <<'PY'
import http.cookiejar, json, secrets, sys, urllib.request
base, user, pw, key_role = sys.argv[1:5]
jar = http.cookiejar.CookieJar()
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def call(path, body, csrf=None):
    headers = {"content-type": "application/json"}
    if csrf:
        headers["x-csrf-token"] = csrf
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    return json.load(web.open(req))
me = call("/api/v1/auth/login", {"username": user, "password": pw})
if me.get("must_change_password"):
    me = call("/api/v1/auth/password", {"old_password": pw, "new_password": "Fz-" + secrets.token_urlsafe(12)}, me["csrf_token"])
if key_role:
    key = call("/api/v1/api-keys", {"name": "fuzz-" + secrets.token_hex(4), "role": key_role}, me["csrf_token"])
    print("Authorization: Bearer " + key["key"])
else:
    print("Cookie: " + "; ".join(f"{c.name}={c.value}" for c in jar))
    print("x-csrf-token: " + me["csrf_token"])
PY
}

examples=${API_FUZZ_EXAMPLES:-20}
run() {
    local who=$1
    shift
    echo "== generated requests as $who"
    (cd "$work" && "$venv/bin/st" run "$base/api/v1/openapi.json" \
        --checks not_a_server_error,response_schema_conformance,content_type_conformance \
        --phases examples,coverage,fuzzing \
        --max-examples "$examples" --seed 20261202 --workers 2 \
        --request-timeout 30 --warnings off \
        "$@")
}
# A signed-in caller keeps its session: no signing out or changing its password mid-run.
keep='/auth/(logout|password|login)$'

office=$(signin office)
reporter=$(signin qly_reporter)
key=$(signin admin office)
# Each caller is who it claims to be before the run (a run of 401s would prove little).
for who in "$office" "$reporter"; do
    curl -sf -H "$(sed -n 1p <<<"$who")" "$base/api/v1/me" | grep -q '"role"' \
        || { echo "signing in for the run failed"; exit 1; }
done
curl -sf -H "$key" "$base/api/v1/audit/verify" | grep -q '"entries"' \
    || { echo "the API key for the run does not work"; exit 1; }
status=0
run anonymous || status=1
run office --exclude-path-regex "$keep" -H "$(sed -n 1p <<<"$office")" -H "$(sed -n 2p <<<"$office")" || status=1
run "a reporter" --exclude-path-regex "$keep" -H "$(sed -n 1p <<<"$reporter")" -H "$(sed -n 2p <<<"$reporter")" || status=1
run "an API key" -H "$key" || status=1
if grep -q "panicked" "$work/err.txt"; then
    echo "the server panicked:"
    grep -A5 "panicked" "$work/err.txt"
    status=1
fi
exit $status
