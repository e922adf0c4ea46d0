#!/usr/bin/env bash
# The browser tests: the demo (the README's main command) driven in headless Debian Chromium by
# playwright-core. Installs what they need when it is missing: Debian's chromium and a small
# Chinese font (for readable screenshots), and the npm packages from e2e/package-lock.json.
# Screenshots of the key pages land in e2e/screenshots/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
ls /usr/share/fonts/truetype/wqy/* /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing ${need[*]} (Debian)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "the browser tests need: ${need[*]} (Debian packages)" >&2
        exit 1
    fi
fi

cargo build -q -p jixiao
cd e2e
npm ci --no-audit --no-fund --loglevel=error
npm test
