#!/usr/bin/env bash
# Needs Debian's python3-grpcio and python3-protobuf (/usr/bin/python3's).
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
exec /usr/bin/python3 "$here/health_probe_test.py" "$@"
