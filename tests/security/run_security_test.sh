#!/usr/bin/env bash
# The security test needs Debian's python3-grpcio and python3-protobuf,
# which belong to /usr/bin/python3, not to another python3 on the PATH.
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
exec /usr/bin/python3 "$here/security_test.py" "$@"
