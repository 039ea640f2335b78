#!/usr/bin/env bash
# The hostile sweep (issue 10): every command (check, explain, lab, lint, logs) fed
# hostile inputs and pointed at hostile loopback servers. Prints, per command: inputs
# tried, ended by their deadline (+3 s), peak RSS (/usr/bin/time -v), and planted
# secrets found in any output. Goals: all by the deadline, RSS <= 64 MiB for check,
# explain and lab and <= 256 MiB for lint and logs, zero secrets.
# WSDOCTOR=path/to/wsdoctor to measure a given binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
tgt=${CARGO_TARGET_DIR:-target}
if [ -z "${WSDOCTOR:-}" ]; then
  cargo build --release -q -p wsdoctor --bin wsdoctor
  WSDOCTOR=$tgt/release/wsdoctor
fi
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }
exec python3 bench/hostile/sweep.py "$WSDOCTOR" "$tgt/bench-hostile"
