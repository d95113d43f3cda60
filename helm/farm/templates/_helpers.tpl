{{/* Names. Kubernetes names are at most 63 characters. */}}
{{- define "farm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* RELEASE-farm (or the release's name when it holds the chart's), the
     prefix of every name. 42 characters keep the StatefulSet names within
     52 (their pods' controller-revision-hash label is NAME-HASH, at most
     63) and the longest Service name, PREFIX-scheduler-headless, within 63. */}}
{{- define "farm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 42 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of one component's objects: (dict "root" . "component" "scheduler"). */}}
{{- define "farm.componentName" -}}
{{- printf "%s-%s" (include "farm.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "farm.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "farm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "farm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object: (dict "root" . "component" "scheduler"). */}}
{{- define "farm.labels" -}}
helm.sh/chart: {{ include "farm.chart" .root }}
{{ include "farm.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: farm
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* What selectors match on; never changes between upgrades. */}}
{{- define "farm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "farm.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{- define "farm.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end -}}

{{/* Fails the render for values the servers or the cluster would refuse. */}}
{{- define "farm.checkValues" -}}
{{- $s := .Values.security -}}
{{- if and (not $s.insecure) (not $s.tls.secretName) (not $s.tokens.secretName) -}}
{{- fail "farm: set security.tls.secretName and security.tokens.secretName (docs/security.md), or security.insecure=true for a network you trust entirely" -}}
{{- end -}}
{{- if and $s.tls.secretName $s.tls.clientCertificates (not $s.tokens.secretName) (not $s.insecure) -}}
{{- if not $s.tls.workerCertSecretName -}}
{{- fail "farm: with client certificates as the only identities (no security.tokens.secretName), the workers need one: set security.tls.workerCertSecretName to a Secret with a certificate whose OU is \"worker\"" -}}
{{- end -}}
{{- if and .Values.cache.enabled (not $s.tls.schedulerCertSecretName) -}}
{{- fail "farm: with client certificates as the only identities (no security.tokens.secretName), the scheduler needs one for farm-cache: set security.tls.schedulerCertSecretName to a Secret with a certificate whose OU is \"admin\"" -}}
{{- end -}}
{{- end -}}
{{- $a := .Values.workers.autoscaling -}}
{{- if and $a.keda.enabled $a.hpa.enabled -}}
{{- fail "farm: workers.autoscaling.keda.enabled and workers.autoscaling.hpa.enabled are both true; choose one (KEDA makes its own HorizontalPodAutoscaler, and two autoscalers would fight over the worker Deployment)" -}}
{{- end -}}
{{- if and $a.hpa.enabled (lt (int $a.minReplicas) 1) -}}
{{- fail "farm: workers.autoscaling.minReplicas must be at least 1 with the HorizontalPodAutoscaler (scaling to zero needs KEDA)" -}}
{{- end -}}
{{- if gt (int $a.minReplicas) (int $a.maxReplicas) -}}
{{- fail "farm: workers.autoscaling.minReplicas is above workers.autoscaling.maxReplicas" -}}
{{- end -}}
{{- if .Values.workers.rootless -}}
{{- fail "farm: workers.rootless is not supported yet: farm-worker runs RUN steps with runc, which needs a privileged container (namespaces, overlayfs mounts, cgroups); see docs/deploy.md" -}}
{{- end -}}
{{- $etcd := include "farm.etcdEndpoints" . -}}
{{- if and (gt (int (include "farm.schedulerReplicas" .)) 1) (not $etcd) -}}
{{- fail "farm: scheduler.replicas above 1 needs etcd.endpoints: the schedulers of a group elect their leader in etcd and keep there the builds, image tags and cache-mount pointers they share (the chart deploys no etcd; give the client URLs of yours)" -}}
{{- end -}}
{{- if and $etcd (not .Values.cache.enabled) -}}
{{- fail "farm: etcd.endpoints (a failover group of schedulers) needs cache.enabled: the schedulers share contexts, layers and images through farm-cache, and farm-scheduler --etcd refuses to start with the cache embedded in its own volume" -}}
{{- end -}}
{{- $c := .Values.cache -}}
{{- $o := $c.objectStore | default dict -}}
{{- if $c.enabled -}}
{{- if $c.registerInEtcd -}}
{{- if not $etcd -}}
{{- fail "farm: cache.registerInEtcd needs etcd.endpoints, the etcd the cache nodes register in" -}}
{{- end -}}
{{- if contains "https://" $etcd -}}
{{- fail "farm: cache.registerInEtcd needs etcd.endpoints over http://: the scheduler follows the registered nodes with --cache etcd://HOST:PORT,..., which reaches etcd over plain HTTP only" -}}
{{- end -}}
{{- $np := .Values.networkPolicy -}}
{{- if and $np.enabled $o.endpoint ($np.objectStore | default dict).peers (not ($np.etcd | default dict).peers) -}}
{{- fail "farm: networkPolicy.objectStore.peers restricts farm-cache's egress, and cache.registerInEtcd needs etcd: set networkPolicy.etcd.peers to where etcd.endpoints are" -}}
{{- end -}}
{{- end -}}
{{- if and (gt (int $c.replicas) 1) (not $o.endpoint) -}}
{{- fail "farm: cache.replicas above 1 needs cache.objectStore.endpoint: each node holds its own share of the digests, so without a shared object store behind the nodes a lost node takes its share of the cache with it" -}}
{{- end -}}
{{- if and $o.endpoint (not $o.bucket) -}}
{{- fail "farm: cache.objectStore.endpoint needs cache.objectStore.bucket, the bucket that holds every blob" -}}
{{- end -}}
{{- if and $o.endpoint (not $o.credentialsSecretName) -}}
{{- fail "farm: cache.objectStore.endpoint needs cache.objectStore.credentialsSecretName, a Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (farm-cache takes the store's credentials from nowhere else)" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* scheduler.replicas; values an upgrade with --reuse-values kept from
     chart 0.3 lack it. */}}
{{- define "farm.schedulerReplicas" -}}
{{- .Values.scheduler.replicas | default 1 | int -}}
{{- end -}}

{{/* etcd.endpoints (a list or a comma-separated string) as the
     comma-separated URLs --etcd takes, without blanks or a trailing /;
     "" when none (or with values from chart 0.3, which have no etcd). */}}
{{- define "farm.etcdEndpoints" -}}
{{- $e := (.Values.etcd | default dict).endpoints | default list -}}
{{- if kindIs "string" $e -}}
{{- $e = splitList "," $e -}}
{{- end -}}
{{- $urls := list -}}
{{- range $e -}}
{{- $u := . | trim | trimSuffix "/" -}}
{{- if $u -}}
{{- $urls = append $urls $u -}}
{{- end -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}

{{- define "farm.etcdPrefix" -}}
{{- (.Values.etcd | default dict).prefix | default "/farm" -}}
{{- end -}}

{{/* The ports of etcd.endpoints for the cache's egress policy,
     comma-separated: networkPolicy.etcd.port, else each endpoint's :PORT,
     else the scheme's. */}}
{{- define "farm.etcdPorts" -}}
{{- $fixed := (.Values.networkPolicy.etcd | default dict).port -}}
{{- $ports := list -}}
{{- range splitList "," (include "farm.etcdEndpoints" .) -}}
{{- $url := urlParse . -}}
{{- $port := regexFind ":[0-9]+$" $url.host | trimPrefix ":" -}}
{{- $ports = append $ports (toString ($fixed | default $port | default (ternary 443 80 (eq $url.scheme "https")))) -}}
{{- end -}}
{{- $ports | uniq | join "," -}}
{{- end -}}

{{/* The scheduler's --cache: the cache Service for one node; for several,
     every pod by its stable name under the headless Service, which the
     scheduler spreads the digests over; with cache.registerInEtcd, the
     nodes registered in etcd (etcd://HOST:PORT,.../PREFIX). */}}
{{- define "farm.cacheAddresses" -}}
{{- $name := include "farm.componentName" (dict "root" . "component" "cache") -}}
{{- $port := int .Values.cache.port -}}
{{- $replicas := int .Values.cache.replicas -}}
{{- if .Values.cache.registerInEtcd -}}
{{- $hosts := list -}}
{{- range splitList "," (include "farm.etcdEndpoints" .) -}}
{{- $hosts = append $hosts (urlParse .).host -}}
{{- end -}}
{{- printf "etcd://%s%s" (join "," $hosts) (include "farm.etcdPrefix" .) -}}
{{- else if gt $replicas 1 -}}
{{- $addresses := list -}}
{{- range $i := until $replicas -}}
{{- $addresses = append $addresses (printf "%s-%d.%s-headless.%s.svc:%d" $name $i $name $.Release.Namespace $port) -}}
{{- end -}}
{{- join "," $addresses -}}
{{- else -}}
{{- printf "%s:%d" $name $port -}}
{{- end -}}
{{- end -}}

{{/* The object store's port for the cache's egress policy:
     networkPolicy.objectStore.port, else the endpoint's :PORT, else the
     scheme's. */}}
{{- define "farm.objectStorePort" -}}
{{- $url := urlParse .Values.cache.objectStore.endpoint -}}
{{- $port := regexFind ":[0-9]+$" $url.host | trimPrefix ":" -}}
{{- .Values.networkPolicy.objectStore.port | default $port | default (ternary 443 80 (eq $url.scheme "https")) -}}
{{- end -}}

{{/* The cache's maxUnavailable: "" is 1 for several nodes over an object
     store (a node that goes loses nothing), 0 otherwise. */}}
{{- define "farm.cacheMaxUnavailable" -}}
{{- $c := .Values.cache -}}
{{- $max := $c.podDisruptionBudget.maxUnavailable -}}
{{- if and (kindIs "string" $max) (eq $max "") -}}
{{- ternary 1 0 (and (gt (int $c.replicas) 1) (not (empty ($c.objectStore | default dict).endpoint))) -}}
{{- else -}}
{{- $max -}}
{{- end -}}
{{- end -}}

{{/* Pod annotations Prometheus discovers pods by: (dict "root" . "port" N). */}}
{{- define "farm.metricsAnnotations" -}}
{{- if .root.Values.metrics.podAnnotations -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end -}}
{{- end -}}

{{/* The --health-listen and --metrics-listen flags: (dict "health" N "metrics" N). */}}
{{- define "farm.observabilityArgs" -}}
- --health-listen=0.0.0.0:{{ .health }}
- --metrics-listen=0.0.0.0:{{ .metrics }}
{{- end -}}

{{/* The container ports and gRPC probes of a component's health port:
     (dict "values" .Values.scheduler). The kubelet's gRPC probe takes a
     port number, not a name. */}}
{{- define "farm.healthPorts" -}}
- name: health
  containerPort: {{ .values.healthPort }}
  protocol: TCP
- name: metrics
  containerPort: {{ .values.metricsPort }}
  protocol: TCP
{{- end -}}

{{/* The startup, readiness and liveness probes of the health port:
     gRPC, except the kinds listed in .tcp (e.g. (list "startup"
     "liveness")), which only check that the port accepts connections. */}}
{{- define "farm.probes" -}}
{{- $port := .values.healthPort -}}
{{- range $kind := list "startup" "readiness" "liveness" }}
{{- $p := get $.values.probes $kind }}
{{ $kind }}Probe:
  {{- if has $kind ($.tcp | default list) }}
  tcpSocket:
    port: {{ $port }}
  {{- else }}
  grpc:
    port: {{ $port }}
    {{- with $p.service }}
    service: {{ . | quote }}
    {{- end }}
  {{- end }}
  {{- range $k := list "initialDelaySeconds" "periodSeconds" "timeoutSeconds" "successThreshold" "failureThreshold" }}
  {{- if hasKey $p $k }}
  {{ $k }}: {{ get $p $k }}
  {{- end }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Scheduling fields of a pod: (dict "root" . "values" .Values.scheduler "component" "scheduler").
     A topology spread constraint without a labelSelector gets the
     component's own. */}}
{{- define "farm.podScheduling" -}}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .values.topologySpreadConstraints }}
{{- $selector := include "farm.selectorLabels" . | fromYaml }}
topologySpreadConstraints:
{{- range .values.topologySpreadConstraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $selector) }}
{{- end }}
  - {{ toYaml $c | indent 4 | trim }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod-level fields every farm pod shares. No Service environment
     variables: a Service named farm-cache would set FARM_CACHE_PORT and
     the like, where farm reads its own FARM_* settings. */}}
{{- define "farm.podCommon" -}}
serviceAccountName: {{ include "farm.serviceAccountName" . }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The TLS and identity flags of farm-scheduler and farm-cache. */}}
{{- define "farm.serverSecurityArgs" -}}
{{- $s := .Values.security -}}
{{- if $s.tls.secretName }}
- --tls-cert=/etc/farm/tls/tls.crt
- --tls-key=/etc/farm/tls/tls.key
{{- if $s.tls.clientCertificates }}
- --tls-client-ca=/etc/farm/tls/ca.crt
{{- end }}
{{- end }}
{{- if $s.tokens.secretName }}
- --tokens=/etc/farm/tokens/tokens
{{- end }}
{{- if $s.insecure }}
- --insecure
{{- end }}
{{- end -}}

{{/* Mounts of the security Secrets: (dict "Values" .Values "clientCert" SECRET),
     clientCert being the component's own client certificate, if any. */}}
{{- define "farm.securityMounts" -}}
{{- $s := .Values.security -}}
{{- if $s.tls.secretName }}
- name: tls
  mountPath: /etc/farm/tls
  readOnly: true
{{- end }}
{{- if $s.tokens.secretName }}
- name: tokens
  mountPath: /etc/farm/tokens
  readOnly: true
{{- end }}
{{- if .clientCert }}
- name: client-cert
  mountPath: /etc/farm/client-cert
  readOnly: true
{{- end }}
{{- end -}}

{{/* The security Secrets as volumes: a "worker" gets the CA and its own
     token only, the "scheduler" the tokens file and its token for
     farm-cache, the "cache" the tokens file; (dict "root" . "role" R
     "clientCert" SECRET) adds the component's own client certificate. */}}
{{- define "farm.securityVolumes" -}}
{{- $s := .root.Values.security -}}
{{- if $s.tls.secretName }}
- name: tls
  secret:
    secretName: {{ $s.tls.secretName }}
    defaultMode: 0440
    {{- if eq .role "worker" }}
    items:
      - {key: ca.crt, path: ca.crt}
    {{- end }}
{{- end }}
{{- if $s.tokens.secretName }}
- name: tokens
  secret:
    secretName: {{ $s.tokens.secretName }}
    defaultMode: 0440
    items:
      {{- if eq .role "worker" }}
      - {key: worker, path: worker}
      {{- else if eq .role "scheduler" }}
      - {key: tokens, path: tokens}
      {{- if .root.Values.cache.enabled }}
      - {key: scheduler, path: scheduler}
      {{- end }}
      {{- else }}
      - {key: tokens, path: tokens}
      {{- end }}
{{- end }}
{{- with .clientCert }}
- name: client-cert
  secret:
    secretName: {{ . }}
    defaultMode: 0440
    items:
      - {key: tls.crt, path: tls.crt}
      - {key: tls.key, path: tls.key}
{{- end }}
{{- end -}}

{{/* storageClassName of a claim: "" the cluster's default class, "-" none
     (a pre-provisioned volume), else that class. */}}
{{- define "farm.storageClass" -}}
{{- if eq . "-" -}}
storageClassName: ""
{{- else if . -}}
storageClassName: {{ . | quote }}
{{- end -}}
{{- end -}}

{{/* A number as a flag takes it: integers without an exponent (YAML reads
     large ones as floats), strings as they are. */}}
{{- define "farm.number" -}}
{{- if kindIs "string" . -}}
{{- . -}}
{{- else if eq (float64 .) (float64 (int64 .)) -}}
{{- int64 . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}
