#!/usr/bin/env bash
# Installs the offline Kubernetes manifest validator the chart test uses
# (tests/helm/validator): kubernetes-models 4.5.1, the Kubernetes 1.33 API's
# OpenAPI schemas compiled to ajv validators, with the KEDA and
# prometheus-operator CRD schemas and the yaml parser, every package pinned
# by its package-lock.json. It goes to /var/cache/farm/kube-validate (or
# $FARM_KUBE_VALIDATE_DIR), outside the checkout. Safe to run again: an
# install of the same lock file is kept.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)/tests/helm/validator"
dir=${FARM_KUBE_VALIDATE_DIR:-/var/cache/farm/kube-validate}
want=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
if [[ -f "$dir/.installed" && "$(cat "$dir/.installed")" == "$want" ]]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm
fi
mkdir -p "$dir"
rm -f "$dir/.installed"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
(cd "$dir" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "$want" >"$dir/.installed"
echo "get_kube_validate.sh: installed in $dir"
