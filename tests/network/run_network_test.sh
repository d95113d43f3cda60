#!/usr/bin/env bash
# RUN --network on a real embedded farm with the busybox base: the default
# (a private network through slirp4netns) cannot reach a server on the host's
# 127.0.0.1, --network=host (entitled) can, and --network=none has only lo.
#   run_network_test.sh FARM MAKE_BUSYBOX_IMAGE
set -uo pipefail
source "$(dirname "$0")/checks.sh"
checks_init run-network "$1"
make_busybox="$(realpath "$2")"

"$make_busybox" "$work/busybox.tar" || exit 1
"$farm" --root "$root" load -i "$work/busybox.tar" >/dev/null || exit 1

# A web server on the host's loopback only.
mkdir "$work/www"
echo "host-secret" >"$work/www/secret.txt"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/www" "$port" \
  >/dev/null 2>&1 &
for _ in $(seq 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/secret.txt" 2>/dev/null && break
  sleep 0.1
done

mkdir "$work/ctx"
cat >"$work/ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox:latest
ARG PORT
RUN ls /sys/class/net > /private-interfaces; \
    timeout 5 wget -q -O /private-fetch http://127.0.0.1:$PORT/secret.txt \
      || echo unreachable > /private-fetch; \
    timeout 5 wget -q -O /gateway-fetch http://10.0.2.2:$PORT/secret.txt \
      || echo unreachable > /gateway-fetch
RUN --network=none ls /sys/class/net > /none-interfaces
RUN --network=host timeout 5 wget -q -O /host-fetch http://127.0.0.1:$PORT/secret.txt
DOCKERFILE
check "the build runs" bash -c \
  "'$farm' --root '$root' build -q --allow network.host --build-arg PORT=$port -t net:1 '$work/ctx' >'$work/build.log' 2>&1 || { cat '$work/build.log'; false; }"
check "RUN's default network has lo and tap0" \
  test "$(file_in net:1 /private-interfaces | tr '\n' ' ')" = "lo tap0 "
check "it cannot reach the host's 127.0.0.1" \
  test "$(file_in net:1 /private-fetch)" = unreachable
check "nor the host's loopback through slirp4netns's gateway" \
  test "$(file_in net:1 /gateway-fetch)" = unreachable
check "--network=none has only lo" \
  test "$(file_in net:1 /none-interfaces)" = lo
check "--network=host reaches the host's 127.0.0.1" \
  test "$(file_in net:1 /host-fetch)" = host-secret
check "no RUN without network.host may take the host network" bash -c \
  "! '$farm' --root '$root' build -q --build-arg PORT=$port '$work/ctx' >/dev/null 2>&1"
# The local server keeps its worker (and a spare network) for a while; once
# it has exited, nothing of the worker's networks may remain.
"$farm" --root "$root" server stop
check "no namespace file is left in the worker's state" bash -c \
  "test -z \"\$(find '$root' -name '*.net' -o -name '*.lock' -path '*netns*')\""

echo "run network: $failures failures"
((failures == 0))
