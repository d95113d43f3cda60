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
