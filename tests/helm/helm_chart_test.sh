#!/usr/bin/env bash
# The chart as a platform team would install it: it lints strictly, and its
# defaults and every documented option (the chart's ci/*-values.yaml)
# render to manifests that pass the Kubernetes API's schemas (and the KEDA
# and prometheus-operator CRDs'), the API server's own rules and the
# chart's invariants (validator/validate.js, chart_checks.js); then what
# each option must change, the NOTES, and a README entry for every value.
#
#   helm_chart_test.sh CHART_YAML
set -uo pipefail
source "$(dirname "$0")/helm_checks.sh"
helm_checks_init helm_chart "$1"

# The validator itself must catch what it is there for.
broken=$(node "$here/validator/validate.js" "$modules" "$here/testdata/invalid.yaml")
check "validator refuses the broken manifests" test $? -ne 0
check "validator: unknown field" has "$broken" "livenessProbe/grpcc: unknown field"
check "validator: wrong type" has "$broken" "/spec/replicas: must be integer"
check "validator: StatefulSet name too long" has "$broken" "longer than 52 characters"
check "validator: selector and template" has "$broken" "does not match the template's labels"
check "validator: mount without a volume" has "$broken" 'no volume "missing-volume"'
check "validator: YAML 1.1 booleans" has "$broken" "/metadata/labels/enabled: must be string"
check "validator: Service name" has "$broken" "is not a DNS-1035 label"
check "validator: KEDA's CRD schema" has "$broken" "ScaledObject threshold-not-a-string: /spec/triggers/0/metadata/threshold: must be string"
check "validator: prometheus-operator's CRD schema" has "$broken" "ServiceMonitor bad-interval: /spec/endpoints/0/interval: must match"
check "validator: a kind without a schema" has "$broken" "no schema for example.com/v1 Widget"

# Lint and render every documented option; each rendering must validate.
for values in "$chart"/ci/*-values.yaml; do
  option=$(basename "$values" -values.yaml)
  check "lint --strict ($option)" helm lint --strict --quiet "$chart" -f "$values"
  check "renders ($option)" render "$option" -f "$values"
  check "validates ($option)" valid "$work/$option.yaml"
done
release53=$(printf 'r%.0s' {1..53})
check "a 53-character release name renders" \
  eval 'helm template "$release53" "$chart" -f "$chart/ci/default-values.yaml" >"$work/long.yaml"'
check "names stay within the limits" valid "$work/long.yaml"
check "Kubernetes 1.23 is refused (gRPC probes)" refused -f "$chart/ci/default-values.yaml" \
  --kube-version 1.23.9 "chart requires kubeVersion: >=1.24.0-0"
check "Kubernetes 1.24 renders" render k124 -f "$chart/ci/default-values.yaml" --kube-version 1.24.0

app_version=$(sed -n 's/^appVersion: "\(.*\)"$/\1/p' "$chart/Chart.yaml")
# The version the binaries report, which scripts/image.sh tags the image with.
version_h="$chart/../../common/version.h"
if [[ -f "$version_h" ]]; then
  check "appVersion is the binaries' version (common/version.h)" \
    grep -qF "kFarmVersion[] = \"$app_version\";" "$version_h"
else
  echo "skip appVersion against common/version.h: no such file"
fi
default=$(cat "$work/default.yaml")
check "image farm:appVersion by default" has "$default" "image: farm:$app_version"
check "scheduler serves TLS" has "$default" "--tls-cert=/etc/farm/tls/tls.crt"
check "client certificates" has "$default" "--tls-client-ca=/etc/farm/tls/ca.crt"
check "scheduler and cache know the tokens" count "$default" "--tokens=/etc/farm/tokens/tokens" 2
check "scheduler reaches the cache over TLS" has "$default" "--cache-tls-ca=/etc/farm/tls/ca.crt"
check "scheduler's token for the cache" has "$default" "--cache-token-file=/etc/farm/tokens/scheduler"
check "workers trust the CA" has "$default" "--tls-ca=/etc/farm/tls/ca.crt"
check "workers send the worker token" has "$default" "--token-file=/etc/farm/tokens/worker"
check "workers see only their own token" has "$default" "- {key: worker, path: worker}"
check "scheduler uses the cache service, alone" arg "$default" "--cache=t-farm-cache:7800"
check "cache has a budget" has "$default" "--max-bytes=400000000000"
check "workers dial the scheduler" has "$default" "--scheduler=t-farm-scheduler:7700"
check "health ports 7701, 7801, 7901" eval 'has "$default" "--health-listen=0.0.0.0:7701" &&
  has "$default" "--health-listen=0.0.0.0:7801" && has "$default" "--health-listen=0.0.0.0:7901"'
check "metrics ports 9700, 9800, 9900" eval 'has "$default" "--metrics-listen=0.0.0.0:9700" &&
  has "$default" "--metrics-listen=0.0.0.0:9800" && has "$default" "--metrics-listen=0.0.0.0:9900"'
check "gRPC probes, three per component" count "$default" "  grpc:" 9
check "scrape annotations" count "$default" 'prometheus.io/scrape: "true"' 3
check "governing Services are headless" count "$default" "clusterIP: None" 3
check "PodDisruptionBudgets" count "$default" "kind: PodDisruptionBudget" 3
check "no ServiceAccount token" count "$default" "automountServiceAccountToken: false" 4
check "farm's config dir for the scheduler" has "$default" "name: FARM_CONFIG"
check "workers are privileged (runc, overlayfs)" count "$default" "privileged: true" 1
check "workers are not evicted mid-build" has "$default" 'cluster-autoscaler.kubernetes.io/safe-to-evict: "false"'
check "workers get time to drain" has "$default" "terminationGracePeriodSeconds: 1800"
check "workers' scratch counts as ephemeral storage" has "$default" "ephemeral-storage: 110Gi"
check "a fixed pool by default" has "$default" "replicas: 3"
check "no autoscaler by default" eval 'hasnt "$default" HorizontalPodAutoscaler && hasnt "$default" ScaledObject'
check "no custom resources by default" hasnt "$default" "monitoring.coreos.com"

check "one cache node by default" has "$(doc "$work/default.yaml" StatefulSet t-farm-cache)" "replicas: 1"
check "no object store by default" eval 'hasnt "$default" "--s3-" && hasnt "$default" "AWS_"'
check "a lone cache node's drains wait for an operator" \
  has "$(doc "$work/default.yaml" PodDisruptionBudget t-farm-cache)" "maxUnavailable: 0"

# Several cache nodes over an object store (ci/objectstore-values.yaml).
store=$(cat "$work/objectstore.yaml")
cache_set=$(doc "$work/objectstore.yaml" StatefulSet t-farm-cache)
pod_dns() { printf 't-farm-cache-%s.t-farm-cache-headless.default.svc:7800' "$1"; }
check "objectStore: three cache nodes" has "$cache_set" "replicas: 3"
check "objectStore: the scheduler dials each node by its pod's name" \
  arg "$store" "--cache=$(pod_dns 0),$(pod_dns 1),$(pod_dns 2)"
check "objectStore: the --s3 flags" eval 'arg "$cache_set" "--s3-endpoint=https://s3.storage.example.com:9000" &&
  arg "$cache_set" "--s3-bucket=farm-cache" && arg "$cache_set" "--s3-region=eu-west-1" &&
  arg "$cache_set" "--s3-prefix=ci/"'
check "objectStore: credentials from the Secret" eval 'count "$cache_set" "name: farm-s3" 2 &&
  count "$cache_set" "secretKeyRef:" 2 && has "$cache_set" "key: AWS_ACCESS_KEY_ID" &&
  has "$cache_set" "key: AWS_SECRET_ACCESS_KEY"'
check "objectStore: the store's CA, mounted read-only" eval '
  arg "$cache_set" "--s3-ca-file=/etc/farm/object-store-ca/ca.crt" &&
  has "$cache_set" "secretName: farm-s3-ca" &&
  grep -A2 -- "- name: object-store-ca" <<<"$cache_set" | grep -qF "readOnly: true"'
check "objectStore: a node at a time may go" \
  has "$(doc "$work/objectstore.yaml" PodDisruptionBudget t-farm-cache)" "maxUnavailable: 1"
cache_policy=$(doc "$work/objectstore.yaml" NetworkPolicy t-farm-cache)
check "objectStore: the cache's egress, to the store and DNS" eval '
  has "$cache_policy" "policyTypes: [Ingress, Egress]" && has "$cache_policy" "cidr: 10.30.0.0/24" &&
  has "$cache_policy" "{port: 9000, protocol: TCP}" && has "$cache_policy" "{port: 53, protocol: UDP}"'
check "objectStore: only the cache's egress" count "$store" "policyTypes: [Ingress]" 2
check "objectStore: https without a port is 443" eval 'render store-443 -f "$chart/ci/objectstore-values.yaml" \
  --set cache.objectStore.endpoint=https://s3.eu-west-1.amazonaws.com &&
  has "$(doc "$work/store-443.yaml" NetworkPolicy t-farm-cache)" "{port: 443, protocol: TCP}"'
check "objectStore: networkPolicy.objectStore.port wins" eval 'render store-port \
  -f "$chart/ci/objectstore-values.yaml" --set networkPolicy.objectStore.port=9100 &&
  has "$(doc "$work/store-port.yaml" NetworkPolicy t-farm-cache)" "{port: 9100, protocol: TCP}"'
check "objectStore: an explicit maxUnavailable wins" eval 'render store-pdb \
  -f "$chart/ci/objectstore-values.yaml" --set cache.podDisruptionBudget.maxUnavailable=0 &&
  has "$(doc "$work/store-pdb.yaml" PodDisruptionBudget t-farm-cache)" "maxUnavailable: 0"'
check "objectStore: no caSecretName, no CA" eval 'render store-noca \
  -f "$chart/ci/objectstore-values.yaml" --set cache.objectStore.caSecretName= &&
  hasnt "$(cat "$work/store-noca.yaml")" "s3-ca-file" && hasnt "$(cat "$work/store-noca.yaml")" "object-store-ca"'
check "objectStore, one node: the cache Service, and drains wait" eval 'render store-one \
  -f "$chart/ci/objectstore-values.yaml" --set cache.replicas=1 &&
  arg "$(cat "$work/store-one.yaml")" "--cache=t-farm-cache:7800" &&
  has "$(doc "$work/store-one.yaml" StatefulSet t-farm-cache)" "--s3-endpoint=" &&
  has "$(doc "$work/store-one.yaml" PodDisruptionBudget t-farm-cache)" "maxUnavailable: 0"'
check "validates (objectStore, one node)" valid "$work/store-one.yaml"
# `helm upgrade --reuse-values` renders with the values of the chart the
# release was installed with: 0.2's have no cache.replicas nor objectStores,
# and neither 0.2's nor 0.3's have the scheduler group's values.
unset_03=(--set scheduler.replicas=null --set etcd=null --set cache.registerInEtcd=null
  --set networkPolicy.etcd=null)
check "values of chart 0.3 (--reuse-values) render as before" eval 'render reused03 \
  -f "$chart/ci/objectstore-values.yaml" "${unset_03[@]}" &&
  diff -q "$work/objectstore.yaml" "$work/reused03.yaml" >/dev/null'
check "values of chart 0.2 (--reuse-values) render as before" eval 'render reused \
  -f "$chart/ci/networkpolicy-values.yaml" --set cache.enabled=true --set cache.replicas=null \
  --set cache.objectStore=null --set networkPolicy.objectStore=null \
  --set cache.podDisruptionBudget.maxUnavailable=0 "${unset_03[@]}" &&
  arg "$(cat "$work/reused.yaml")" "--cache=t-farm-cache:7800" &&
  has "$(doc "$work/reused.yaml" StatefulSet t-farm-cache)" "replicas: 1" && valid "$work/reused.yaml"'

# Two schedulers over etcd, in front of three cache nodes that register in
# it (ci/failover-values.yaml).
failover=$(cat "$work/failover.yaml")
group=$(doc "$work/failover.yaml" Deployment t-farm-scheduler)
endpoints=http://etcd-0.etcd.storage.svc:2379,http://etcd-1.etcd.storage.svc:2379,http://etcd-2.etcd.storage.svc:2379
check "failover: two schedulers, as a Deployment" eval 'has "$group" "replicas: 2" &&
  [[ -z "$(doc "$work/failover.yaml" StatefulSet t-farm-scheduler)" ]]'
check "failover: the etcd flags" eval 'arg "$group" "--etcd=$endpoints" &&
  arg "$group" "--etcd-prefix=/farm-ci" && arg "$group" "--advertise=\$(POD_IP):7700"'
check "failover: POD_IP from the downward API" eval 'grep -A2 -- "- name: POD_IP" <<<"$group" |
  grep -qF "fieldRef: {fieldPath: status.podIP}"'
check "failover: readiness asks the health service" \
  eval 'grep -A1 "readinessProbe:" <<<"$group" | grep -qF "grpc:"'
check "failover: startup and liveness only connect (a standby is NOT_SERVING)" eval '
  grep -A1 "startupProbe:" <<<"$group" | grep -qF "tcpSocket:" &&
  grep -A1 "livenessProbe:" <<<"$group" | grep -qF "tcpSocket:" && count "$group" "  grpc:" 1'
check "failover: the rollout replaces every scheduler at once" has "$group" "maxUnavailable: 100%"
check "failover: a volume per pod, gone with it" eval 'has "$group" "ephemeral:" &&
  has "$group" "volumeClaimTemplate:" && hasnt "$group" "persistentVolumeClaim"'
check "failover: schedulers spread over nodes" has "$group" "topologyKey: kubernetes.io/hostname"
sched_pdb=$(doc "$work/failover.yaml" PodDisruptionBudget t-farm-scheduler)
check "failover: drains keep the leader" eval 'has "$sched_pdb" "minAvailable: 1" &&
  hasnt "$sched_pdb" "maxUnavailable"'
cache_set=$(doc "$work/failover.yaml" StatefulSet t-farm-cache)
check "failover: the scheduler follows the nodes registered in etcd" arg "$group" \
  "--cache=etcd://etcd-0.etcd.storage.svc:2379,etcd-1.etcd.storage.svc:2379,etcd-2.etcd.storage.svc:2379/farm-ci"
check "failover: cache nodes register as their pods' names" eval 'arg "$cache_set" "--etcd=$endpoints" &&
  arg "$cache_set" "--etcd-prefix=/farm-ci" &&
  arg "$cache_set" "--advertise=\$(POD_NAME).t-farm-cache-headless.default.svc:7800" &&
  grep -A2 -- "- name: POD_NAME" <<<"$cache_set" | grep -qF "fieldPath: metadata.name"'
cache_policy=$(doc "$work/failover.yaml" NetworkPolicy t-farm-cache)
check "failover: the cache's egress, to the store, etcd and DNS" eval '
  has "$cache_policy" "policyTypes: [Ingress, Egress]" && has "$cache_policy" "{port: 9000, protocol: TCP}" &&
  has "$cache_policy" "{port: 2379, protocol: TCP}" && has "$cache_policy" "app.kubernetes.io/name: etcd" &&
  has "$cache_policy" "{port: 53, protocol: UDP}"'
check "failover: the scheduler's egress stays open" \
  has "$(doc "$work/failover.yaml" NetworkPolicy t-farm-scheduler)" "policyTypes: [Ingress]"
check "failover: a static list of cache nodes" eval 'render failover-static \
  -f "$chart/ci/failover-values.yaml" --set cache.registerInEtcd=false &&
  arg "$(cat "$work/failover-static.yaml")" "--cache=$(pod_dns 0),$(pod_dns 1),$(pod_dns 2)" &&
  hasnt "$(doc "$work/failover-static.yaml" StatefulSet t-farm-cache)" "--etcd" &&
  hasnt "$(doc "$work/failover-static.yaml" NetworkPolicy t-farm-cache)" "2379" &&
  valid "$work/failover-static.yaml"'
check "failover: endpoints as one string" eval 'render failover-string -f "$chart/ci/failover-values.yaml" \
  --set-json "etcd.endpoints=\"http://etcd-0.etcd.storage.svc:2379/, http://etcd-1.etcd.storage.svc:2379,http://etcd-2.etcd.storage.svc:2379\"" &&
  arg "$(cat "$work/failover-string.yaml")" "--etcd=$endpoints"'
check "failover: networkPolicy.etcd.port wins" eval 'render failover-port \
  -f "$chart/ci/failover-values.yaml" --set networkPolicy.etcd.port=12379 &&
  has "$(doc "$work/failover-port.yaml" NetworkPolicy t-farm-cache)" "{port: 12379, protocol: TCP}"'
check "failover: explicit spread constraints win" eval 'render failover-spread \
  -f "$chart/ci/failover-values.yaml" --set-json "scheduler.topologySpreadConstraints=[{\"maxSkew\":1,\"topologyKey\":\"topology.kubernetes.io/zone\",\"whenUnsatisfiable\":\"DoNotSchedule\"}]" &&
  s=$(doc "$work/failover-spread.yaml" Deployment t-farm-scheduler) &&
  has "$s" "topologyKey: topology.kubernetes.io/zone" && hasnt "$s" "topologyKey: kubernetes.io/hostname"'
check "failover: one scheduler over etcd" eval 'render etcd-one -f "$chart/ci/default-values.yaml" \
  --set etcd.endpoints=https://etcd.example.com:2379 &&
  s=$(doc "$work/etcd-one.yaml" Deployment t-farm-scheduler) && has "$s" "replicas: 1" &&
  arg "$s" "--etcd=https://etcd.example.com:2379" && arg "$s" "--etcd-prefix=/farm" &&
  arg "$s" "--cache=t-farm-cache:7800" && hasnt "$s" "topologySpreadConstraints" &&
  has "$(doc "$work/etcd-one.yaml" PodDisruptionBudget t-farm-scheduler)" "maxUnavailable: 0" &&
  valid "$work/etcd-one.yaml"'
check "no etcd by default" eval 'hasnt "$default" "--etcd" && hasnt "$default" "--advertise" &&
  hasnt "$default" "POD_IP" && hasnt "$default" "tcpSocket" && hasnt "$default" "minAvailable" &&
  has "$(doc "$work/default.yaml" StatefulSet t-farm-scheduler)" "volumeClaimTemplates:"'
# The default rendering is the recorded one but for the chart's version
# (and the config checksum, which covers the version label). After an
# intended change of the defaults, record it again:
#   helm template t helm/farm -f helm/farm/ci/default-values.yaml | sed \
#     -e 's/^\(\s*helm\.sh\/chart: farm-\)[0-9][0-9.]*$/\1VERSION/' \
#     -e 's/^\(\s*checksum\/config: \).*$/\1SHA256/' >tests/helm/testdata/default.golden.yaml
normalize() {
  sed -e 's/^\(\s*helm\.sh\/chart: farm-\)[0-9][0-9.]*$/\1VERSION/' \
    -e 's/^\(\s*checksum\/config: \).*$/\1SHA256/' "$1"
}
check "the default rendering is unchanged (testdata/default.golden.yaml)" \
  eval 'diff -u "$here/testdata/default.golden.yaml" <(normalize "$work/default.yaml") | head -40 | sed "s/^/    /";
  [[ ${PIPESTATUS[0]} -eq 0 ]]'

keda=$(cat "$work/keda.yaml")
check "keda: a ScaledObject" has "$keda" "kind: ScaledObject"
check "keda: on the queue" has "$keda" 'query: "sum(farm_jobs_queued{namespace=\"default\"})"'
check "keda: threshold from values" has "$keda" 'threshold: "3"'
check "keda: Prometheus from values" has "$keda" 'serverAddress: "http://prometheus.monitoring.svc:9090"'
check "keda: scales to zero" has "$keda" "minReplicaCount: 0"
check "keda: drains slowly" has "$keda" "stabilizationWindowSeconds: 600"
check "keda: the autoscaler owns replicas" hasnt "$keda" "replicas: 3"
check "keda: no HPA of the chart's" hasnt "$keda" "kind: HorizontalPodAutoscaler"

hpa=$(cat "$work/hpa.yaml")
check "hpa: on an external metric" has "$hpa" "type: External"
check "hpa: the queue metric" has "$hpa" "name: farm_jobs_queued"
check "hpa: target from values" has "$hpa" 'averageValue: "4"'
check "hpa: not on CPU" eval 'hasnt "$hpa" "type: Resource" && hasnt "$hpa" "name: cpu"'
check "hpa: no ScaledObject" hasnt "$hpa" "kind: ScaledObject"

netpol=$(cat "$work/networkpolicy.yaml")
check "networkPolicy: one per component" count "$netpol" "kind: NetworkPolicy" 3
check "networkPolicy: clients from values" has "$netpol" "cidr: 10.20.0.0/16"
check "networkPolicy: kubelet from values" has "$netpol" "cidr: 10.0.0.0/16"
check "networkPolicy: cache clients from values" has "$netpol" "app: farm-admin"
check "networkPolicy: no cache, no cache policy" count "$(cat "$work/networkpolicy-open.yaml")" "kind: NetworkPolicy" 2
check "networkPolicy: egress stays open" hasnt "$netpol" "Egress"
check "networkPolicy: the cache's egress open without objectStore.peers" eval 'render store-open \
  -f "$chart/ci/objectstore-values.yaml" --set-json "networkPolicy.objectStore.peers=[]" &&
  hasnt "$(cat "$work/store-open.yaml")" "Egress"'

monitor=$(cat "$work/servicemonitor.yaml")
check "serviceMonitor: rendered" has "$monitor" "kind: ServiceMonitor"
check "serviceMonitor: labels from values" has "$monitor" "release: kube-prometheus-stack"
check "serviceMonitor: no scrape annotations" hasnt "$monitor" "prometheus.io/scrape"

nocache=$(cat "$work/nocache.yaml")
check "no cache: scheduler keeps it, with a budget" eval 'hasnt "$nocache" "--cache=" &&
  has "$nocache" "--cache-max-bytes=30000000000"'
check "no cache: no cache StatefulSet" hasnt "$nocache" "name: t-farm-cache"
check "no cache: no token for it" hasnt "$nocache" "{key: scheduler, path: scheduler}"
check "no cache: fixed pool size" has "$nocache" "replicas: 5"

insecure=$(cat "$work/insecure.yaml")
check "insecure: said explicitly" count "$insecure" "- --insecure" 2
check "insecure: no TLS" hasnt "$insecure" "--tls-"

registry=$(cat "$work/registry.yaml")
check "registry: the Secret as Docker's config.json" eval 'has "$registry" "secretName: farm-registry" &&
  has "$registry" "path: config.json" && has "$registry" "mountPath: /etc/farm/docker"'
check "registry: farm's config.json lists insecure registries" \
  has "$registry" '"insecure-registries": ['
check "registry: each one" eval 'has "$registry" "\"registry.lan:5000\"" && has "$registry" "\"10.0.0.0/8\""'

mtls=$(cat "$work/mtls.yaml")
check "mtls: workers present their certificate" has "$mtls" "--tls-cert=/etc/farm/client-cert/tls.crt"
check "mtls: the scheduler presents its own to farm-cache" has "$mtls" "--cache-tls-cert=/etc/farm/client-cert/tls.crt"

all=$(cat "$work/everything.yaml")
check "everything: fullnameOverride" has "$all" "name: build-farm-scheduler"
check "everything: image by digest" has "$all" "image: registry.example.com/farm@sha256:0123"
check "everything: run limits" eval 'has "$all" "--run-memory=8589934592" && has "$all" "--run-pids=0" &&
  has "$all" "--run-cpus=1.5" && has "$all" "--run-timeout=1h30m" && has "$all" "--run-disk=50GiB" &&
  has "$all" "--min-free-disk=10%"'
check "the worker's own limits by default" eval 'hasnt "$default" "--run-" && hasnt "$default" "--min-free-disk"'
check "everything: storageClassName \"-\" is none" has "$all" 'storageClassName: ""'
check "everything: an existing ServiceAccount" eval 'has "$all" "serviceAccountName: farm-builder" &&
  hasnt "$all" "kind: ServiceAccount"'
check "everything: LoadBalancer with its ranges" eval 'has "$all" "type: LoadBalancer" && has "$all" "nodePort: 30700"'
check "everything: a constraint without labelSelector gets the component's" \
  has "$all" "topologyKey: topology.kubernetes.io/zone"
check "everything: TLS without tokens" eval 'hasnt "$all" "--tokens=" && hasnt "$all" "--token-file="'

# NOTES.txt, rendered through tpl in a copy of the chart (helm template
# does not print it, and helm install needs a cluster).
cp -r "$chart" "$work/notes-chart"
cp "$chart/templates/NOTES.txt" "$work/notes-chart/NOTES.src"
echo 'notes: {{ tpl (.Files.Get "NOTES.src") . | toJson }}' >"$work/notes-chart/templates/zz-notes.yaml"
notes=$(helm template t "$work/notes-chart" -f "$chart/ci/default-values.yaml" \
  --show-only templates/zz-notes.yaml 2>&1)
check "NOTES: how to reach the scheduler" has "$notes" "t-farm-scheduler.default.svc:7700"
check "NOTES: FARM_REMOTE" has "$notes" "export FARM_REMOTE="
check "NOTES: FARM_TLS_CA from the Secret" has "$notes" "export FARM_TLS_CA="
check "NOTES: farm login --remote" has "$notes" 'farm login --remote $FARM_REMOTE'
check "NOTES: no scheduler group by default" hasnt "$notes" "failover group"
notes=$(helm template t "$work/notes-chart" -f "$chart/ci/failover-values.yaml" \
  --show-only templates/zz-notes.yaml 2>&1)
check "NOTES: the scheduler group and its leader" eval 'has "$notes" "Schedulers: 2 in a failover group over etcd" &&
  has "$notes" "app.kubernetes.io/component=scheduler"'

check "README documents every value" node "$here/values_doc_check.js" "$modules" \
  "$chart/values.yaml" "$chart/values.schema.json" "$chart/README.md"

helm_checks_done
