#!/usr/bin/env bash
# Lints the chart and renders it with its defaults and with the cache and
# autoscaling switched off, checking what each rendering must contain.
set -uo pipefail
chart="$(dirname "$(realpath "$1")")"
failures=0
check() {
  local name="$1"
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
has() { grep -qF -- "$2" <<<"$1"; }
hasnt() { ! grep -qF -- "$2" <<<"$1"; }

secured=(--set security.tls.secretName=farm-tls
         --set security.tokens.secretName=farm-tokens)
check "helm lint" helm lint "$chart" "${secured[@]}"
# With no TLS and no identities the servers would refuse to start, so the
# chart refuses to render and says what to set.
open_render=$(helm template t "$chart" 2>&1)
check "no security: refused" has "$open_render" "security.tls.secretName"
insecure=$(helm template t "$chart" --set security.insecure=true)
check "insecure: said explicitly" has "$insecure" "- --insecure"
default=$(helm template t "$chart" "${secured[@]}")
check "scheduler serves TLS" has "$default" "--tls-cert=/etc/farm/tls/tls.crt"
check "client certificates" has "$default" "--tls-client-ca=/etc/farm/tls/ca.crt"
check "scheduler and cache know the tokens" has "$default" "--tokens=/etc/farm/tokens/tokens"
check "scheduler reaches the cache over TLS" has "$default" "--cache-tls-ca=/etc/farm/tls/ca.crt"
check "scheduler's token for the cache" has "$default" "--cache-token-file=/etc/farm/tokens/scheduler"
check "workers trust the CA" has "$default" "--tls-ca=/etc/farm/tls/ca.crt"
check "workers send the worker token" has "$default" "--token-file=/etc/farm/tokens/worker"
check "workers see only their own token" has "$default" "- {key: worker, path: worker}"
check "scheduler statefulset" has "$default" "name: t-farm-scheduler"
check "scheduler uses the cache service" has "$default" "--cache=t-farm-cache:7800"
check "cache statefulset with a budget" has "$default" "--max-bytes=400000000000"
check "workers dial the scheduler" has "$default" "--scheduler=t-farm-scheduler:7700"
check "workers are privileged (runc, overlayfs)" has "$default" "privileged: true"
check "workers autoscale" has "$default" "kind: HorizontalPodAutoscaler"
check "workers get time to drain" has "$default" "terminationGracePeriodSeconds: 1800"
small=$(helm template t "$chart" "${secured[@]}" --set cache.enabled=false \
  --set workers.autoscaling.enabled=false --set workers.replicas=5)
check "no cache: scheduler keeps it" hasnt "$small" "--cache="
check "no cache: no cache statefulset" hasnt "$small" "name: t-farm-cache"
check "fixed pool size" has "$small" "replicas: 5"
check "no autoscaler" hasnt "$small" "HorizontalPodAutoscaler"
echo "helm chart checks: $failures failed"
((failures == 0))
