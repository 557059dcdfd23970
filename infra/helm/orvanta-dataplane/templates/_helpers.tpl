{{/* Resource base name: the release name unless overridden. */}}
{{- define "orvanta-dataplane.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "orvanta-dataplane.selectorLabels" -}}
app.kubernetes.io/name: orvanta-dataplane
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "orvanta-dataplane.labels" -}}
{{ include "orvanta-dataplane.selectorLabels" . }}
app.kubernetes.io/part-of: orvanta
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- with .Values.dataPlaneId }}
orvanta.dev/data-plane-id: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "orvanta-dataplane.secretName" -}}
{{- default (include "orvanta-dataplane.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The label value the queue-depth metric carries and the HPA selects on. */}}
{{- define "orvanta-dataplane.metricLabel" -}}
{{- default (include "orvanta-dataplane.fullname" .) .Values.dataPlaneId -}}
{{- end -}}

{{/* Pod spec fields shared by the data-plane Deployments. */}}
{{- define "orvanta-dataplane.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
terminationGracePeriodSeconds: 30
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {}
{{- end -}}

{{/* Container securityContext, relaxed for bubblewrap when sandbox.subprocess is on. */}}
{{- define "orvanta-dataplane.containerSecurityContext" -}}
{{- $ctx := deepCopy .Values.securityContext -}}
{{- if .Values.sandbox.subprocess -}}
{{- $_ := set $ctx "seccompProfile" (dict "type" "Unconfined") -}}
{{- $_ := set $ctx "appArmorProfile" (dict "type" "Unconfined") -}}
{{- end -}}
{{- toYaml $ctx -}}
{{- end -}}

{{/*
Environment of a data-plane container. Call with (dict "root" $ "concurrency" N "agent" bool).
Secrets come from the Secret; everything else is plain configuration.
*/}}
{{- define "orvanta-dataplane.env" -}}
{{- $root := .root -}}
{{- $secret := include "orvanta-dataplane.secretName" $root -}}
- name: CONTROL_PLANE_URL
  value: {{ required "controlPlaneUrl is required" $root.Values.controlPlaneUrl | quote }}
{{- with $root.Values.publicUrl }}
- name: PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
- name: PORT
  value: {{ $root.Values.config.port | quote }}
- name: HOST
  value: "0.0.0.0"
- name: REDIS_PREFIX
  value: {{ $root.Values.config.redisPrefix | quote }}
- name: WORKER_CONCURRENCY
  value: {{ .concurrency | quote }}
- name: SANDBOX_THREADS
  value: {{ $root.Values.config.sandboxThreads | quote }}
- name: SCRIPT_LANGUAGES
  value: {{ $root.Values.config.scriptLanguages | quote }}
- name: SCRIPT_TIMEOUT_MS
  value: {{ $root.Values.config.scriptTimeoutMs | quote }}
- name: SCRIPT_MEMORY_MB
  value: {{ $root.Values.config.scriptMemoryMb | quote }}
- name: EGRESS_ALLOW_PRIVATE
  value: {{ $root.Values.config.egressAllowPrivate | quote }}
- name: LOG_LEVEL
  value: {{ $root.Values.config.logLevel | quote }}
- name: MIGRATE_ON_START
  value: "true"
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: DATABASE_URL
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: REDIS_URL
- name: SECRETS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: SECRETS_KEY
{{- if .agent }}
- name: ENROLLMENT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: ENROLLMENT_TOKEN
      optional: true
{{- end }}
{{- with $root.Values.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The one data-plane image. */}}
{{- define "orvanta-dataplane.image" -}}
{{- .Values.image.reference | default (printf "%s:%s" .Values.image.repository (toString .Values.image.tag)) -}}
{{- end -}}
