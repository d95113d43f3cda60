{{- define "farm.name" -}}
{{- printf "%s-farm" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "farm.labels" -}}
app.kubernetes.io/name: farm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "farm.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}


{{/* Fails the render when the servers would refuse to start. */}}
{{- define "farm.checkSecurity" -}}
{{- $s := .Values.security -}}
{{- if and (not $s.insecure) (not $s.tls.secretName) (not $s.tokens.secretName) -}}
{{- fail "farm: set security.tls.secretName and security.tokens.secretName (docs/security.md), or security.insecure=true for a network you trust entirely" -}}
{{- end -}}
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

{{/* Mounts of the security Secrets: "server" gets the tokens file,
     "worker" only the CA and its own token, "scheduler" both. */}}
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
{{- end -}}

{{- define "farm.securityVolumes" -}}
{{- $s := .root.Values.security -}}
{{- if $s.tls.secretName }}
- name: tls
  secret:
    secretName: {{ $s.tls.secretName }}
    {{- if eq .role "worker" }}
    items:
      - {key: ca.crt, path: ca.crt}
    {{- end }}
{{- end }}
{{- if $s.tokens.secretName }}
- name: tokens
  secret:
    secretName: {{ $s.tokens.secretName }}
    defaultMode: 0400
    items:
      {{- if eq .role "worker" }}
      - {key: worker, path: worker}
      {{- else if eq .role "scheduler" }}
      - {key: tokens, path: tokens}
      - {key: scheduler, path: scheduler}
      {{- else }}
      - {key: tokens, path: tokens}
      {{- end }}
{{- end }}
{{- end -}}
