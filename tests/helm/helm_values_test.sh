#!/usr/bin/env bash
# The chart refuses what it cannot render correctly, saying why: values
# that values.schema.json rejects (with the schema's message), and the
# combinations the templates refuse.
#
#   helm_values_test.sh CHART_YAML
set -uo pipefail
source "$(dirname "$0")/helm_checks.sh"
helm_checks_init helm_values "$1"

ok=(-f "$chart/ci/default-values.yaml")
schema="values don't meet the specifications of the schema"
check "the defaults with the Secrets pass" render ok "${ok[@]}"
check "workers.slots=0" refused "${ok[@]}" --set workers.slots=0 \
  "workers.slots: Must be greater than or equal to 1"
check "a port that is not a number" refused "${ok[@]}" --set scheduler.port=abc \
  "scheduler.port: Invalid type. Expected: integer"
printf 'scheduler:\n  healthPort: 7701.5\n' >"$work/float-port.yaml"
check "a port that is not an integer" refused "${ok[@]}" -f "$work/float-port.yaml" \
  "scheduler.healthPort: Invalid type. Expected: integer"
check "a port above 65535" refused "${ok[@]}" --set workers.metricsPort=70000 \
  "workers.metricsPort: Must be less than or equal to 65535"
check "a negative byte budget" refused "${ok[@]}" --set cache.maxBytes=-1 \
  "cache.maxBytes: Must be greater than or equal to 0"
check "a negative size" refused "${ok[@]}" --set workers.scratch=-5Gi "workers.scratch: Does not match pattern"
check "a size that is not a quantity" refused "${ok[@]}" --set scheduler.storage=lots \
  "scheduler.storage: Does not match pattern"
check "an unknown key" refused "${ok[@]}" --set workers.slot=4 "Additional property slot is not allowed"
check "0.1's CPU autoscaling keys are gone" refused "${ok[@]}" \
  --set workers.autoscaling.targetCPUUtilizationPercentage=70 \
  "Additional property targetCPUUtilizationPercentage is not allowed"
check "an unknown pull policy" refused "${ok[@]}" --set image.pullPolicy=Sometimes "$schema"
check "an unknown entitlement" refused "${ok[@]}" --set 'security.allowEntitlements={root}' \
  "security.allowEntitlements.0"
check "an insecure registry with a scheme" refused "${ok[@]}" \
  --set 'registry.insecureRegistries={http://lan:5000}' "registry.insecureRegistries.0: Does not match pattern"
check "a run timeout that is not a duration" refused "${ok[@]}" --set workers.runLimits.timeout=forever \
  "workers.runLimits.timeout: Does not match pattern"
check "a negative RUN memory limit" refused "${ok[@]}" --set workers.runLimits.memory=-1 \
  "workers.runLimits.memory: Must be greater than or equal to 0"
check "a free-disk floor that is not a size" refused "${ok[@]}" --set workers.minFreeDisk=lots \
  "workers.minFreeDisk: Does not match pattern"
check "a digest that is not sha256" refused "${ok[@]}" --set image.digest=latest "image.digest: Does not match pattern"
check "a percentage PDB passes" render pdb "${ok[@]}" --set-string workers.podDisruptionBudget.maxUnavailable=25%
check "no cache nodes" refused "${ok[@]}" --set cache.replicas=0 \
  "cache.replicas: Must be greater than or equal to 1"
check "an object store endpoint without a scheme" refused "${ok[@]}" \
  --set cache.objectStore.endpoint=s3.example.com "cache.objectStore.endpoint: Does not match pattern"
check "an object store endpoint with a path" refused "${ok[@]}" \
  --set cache.objectStore.endpoint=https://s3.example.com/farm "cache.objectStore.endpoint: Does not match pattern"
check "an empty object store region" refused "${ok[@]}" --set cache.objectStore.region= \
  "cache.objectStore.region: String length must be greater than or equal to 1"
check "a cache PDB that is not a count or a percentage" refused "${ok[@]}" \
  --set cache.podDisruptionBudget.maxUnavailable=one "cache.podDisruptionBudget.maxUnavailable: Does not match pattern"

check "no TLS, no tokens, not insecure" refused \
  "farm: set security.tls.secretName and security.tokens.secretName"
check "KEDA and the HPA at once" refused "${ok[@]}" --set workers.autoscaling.keda.enabled=true \
  --set workers.autoscaling.hpa.enabled=true "choose one"
check "the HPA cannot scale to zero" refused "${ok[@]}" --set workers.autoscaling.hpa.enabled=true \
  --set workers.autoscaling.minReplicas=0 "scaling to zero needs KEDA"
check "minReplicas above maxReplicas" refused "${ok[@]}" --set workers.autoscaling.minReplicas=9 \
  --set workers.autoscaling.maxReplicas=3 "minReplicas is above"
check "rootless workers are not supported yet" refused "${ok[@]}" --set workers.rootless=true \
  "workers.rootless is not supported yet"
check "client certificates only: the workers need one" refused \
  --set security.tls.secretName=farm-tls "set security.tls.workerCertSecretName"
check "client certificates only: the scheduler needs one" refused \
  --set security.tls.secretName=farm-tls --set security.tls.workerCertSecretName=w \
  "set security.tls.schedulerCertSecretName"
store=(--set cache.objectStore.endpoint=http://minio.storage.svc:9000
  --set cache.objectStore.bucket=farm --set cache.objectStore.credentialsSecretName=farm-s3)
check "several cache nodes over an object store pass" render store "${ok[@]}" "${store[@]}" \
  --set cache.replicas=3
check "several cache nodes need an object store" refused "${ok[@]}" --set cache.replicas=3 \
  "without a shared object store behind the nodes a lost node takes its share of the cache with it"
check "an object store needs a bucket" refused "${ok[@]}" "${store[@]}" --set cache.objectStore.bucket= \
  "cache.objectStore.endpoint needs cache.objectStore.bucket"
check "an object store needs credentials" refused "${ok[@]}" "${store[@]}" \
  --set cache.objectStore.credentialsSecretName= \
  "cache.objectStore.endpoint needs cache.objectStore.credentialsSecretName, a Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
check "no cache, no cache checks" render nocache "${ok[@]}" --set cache.enabled=false --set cache.replicas=3

etcd=(--set 'etcd.endpoints={http://etcd-0.etcd:2379,http://etcd-1.etcd:2379}')
check "two schedulers over etcd pass" render group "${ok[@]}" "${etcd[@]}" --set scheduler.replicas=2
check "etcd endpoints as one string pass" render group-string "${ok[@]}" --set scheduler.replicas=2 \
  --set-string 'etcd.endpoints=http://etcd-0.etcd:2379\,http://etcd-1.etcd:2379'
check "no schedulers" refused "${ok[@]}" --set scheduler.replicas=0 \
  "scheduler.replicas: Must be greater than or equal to 1"
check "two schedulers need etcd" refused "${ok[@]}" --set scheduler.replicas=2 \
  "scheduler.replicas above 1 needs etcd.endpoints"
check "etcd needs the remote cache" refused "${ok[@]}" "${etcd[@]}" --set cache.enabled=false \
  "etcd.endpoints (a failover group of schedulers) needs cache.enabled"
check "two schedulers need the remote cache" refused "${ok[@]}" "${etcd[@]}" --set scheduler.replicas=2 \
  --set cache.enabled=false "farm-scheduler --etcd refuses to start with the cache embedded"
check "an etcd endpoint without a scheme" refused "${ok[@]}" --set 'etcd.endpoints={etcd-0.etcd:2379}' \
  "etcd.endpoints.0: Does not match pattern"
check "an etcd endpoint with a path" refused "${ok[@]}" --set etcd.endpoints=http://etcd:2379/v3 \
  "etcd.endpoints: Does not match pattern"
check "an etcd prefix without a leading /" refused "${ok[@]}" "${etcd[@]}" --set etcd.prefix=farm \
  "etcd.prefix: Does not match pattern"
check "cache nodes register in etcd only with one" refused "${ok[@]}" --set cache.registerInEtcd=true \
  "cache.registerInEtcd needs etcd.endpoints"
check "the scheduler follows registered nodes over http only" refused "${ok[@]}" \
  --set etcd.endpoints=https://etcd:2379 --set cache.registerInEtcd=true "needs etcd.endpoints over http://"
check "a cache whose egress is restricted needs etcd's peers to register" refused \
  -f "$chart/ci/failover-values.yaml" --set-json 'networkPolicy.etcd.peers=[]' \
  "set networkPolicy.etcd.peers"
check "a registering cache with open egress needs no peers" render open-egress \
  -f "$chart/ci/failover-values.yaml" --set-json 'networkPolicy.etcd.peers=[]' \
  --set-json 'networkPolicy.objectStore.peers=[]'

helm_checks_done
