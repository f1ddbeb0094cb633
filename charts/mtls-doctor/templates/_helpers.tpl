{{/*
Named templates of the mtls-doctor chart. Every name starts with "mtls-doctor." so that they cannot
clash with a parent chart's.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "mtls-doctor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name. Cut to 45 characters so that the longest suffix the chart appends
("-redis-headless", "-worker-metrics") still leaves a valid 63-character DNS label.
*/}}
{{- define "mtls-doctor.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "mtls-doctor.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "mtls-doctor.labels" -}}
helm.sh/chart: {{ include "mtls-doctor.chart" . }}
{{ include "mtls-doctor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mtls-doctor
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select this release's pods; each component adds app.kubernetes.io/component. */}}
{{- define "mtls-doctor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mtls-doctor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The mtls-doctor image: the tag defaults to the chart's appVersion. */}}
{{- define "mtls-doctor.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The bot's ServiceAccount: bound to nothing, its token never mounted. */}}
{{- define "mtls-doctor.botServiceAccountName" -}}
{{- if .Values.bot.serviceAccount.create }}
{{- default (printf "%s-bot" (include "mtls-doctor.fullname" .)) .Values.bot.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.bot.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The worker's ServiceAccount: the subject of every role binding of the chart. */}}
{{- define "mtls-doctor.workerServiceAccountName" -}}
{{- if .Values.worker.serviceAccount.create }}
{{- default (printf "%s-worker" (include "mtls-doctor.fullname" .)) .Values.worker.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.worker.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret with the Slack tokens: the chart's own, or slack.existingSecret. */}}
{{- define "mtls-doctor.slackSecretName" -}}
{{- default (printf "%s-slack" (include "mtls-doctor.fullname" .)) .Values.slack.existingSecret }}
{{- end }}

{{/* Name of the bundled Redis's StatefulSet and Service. */}}
{{- define "mtls-doctor.redisName" -}}
{{- printf "%s-redis" (include "mtls-doctor.fullname" .) }}
{{- end }}

{{/* The Secret with the bundled Redis's password: the chart's own, or redis.bundled.auth.existingSecret. */}}
{{- define "mtls-doctor.redisSecretName" -}}
{{- default (include "mtls-doctor.redisName" .) .Values.redis.bundled.auth.existingSecret }}
{{- end }}

{{/*
How the bot and the worker reach Redis: the bundled one (its password from its Secret, expanded by
Kubernetes into REDIS_URL), Redis Sentinel, or an external URL (from a Secret, or as given).
*/}}
{{- define "mtls-doctor.redisEnv" -}}
{{- if .Values.redis.bundled.enabled }}
{{- if .Values.redis.bundled.auth.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "mtls-doctor.redisSecretName" . }}
      key: {{ .Values.redis.bundled.auth.existingSecretKey }}
- name: REDIS_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s:6379" (include "mtls-doctor.redisName" .) | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ printf "redis://%s:6379" (include "mtls-doctor.redisName" .) | quote }}
{{- end }}
{{- else if .Values.redis.sentinel.hosts }}
- name: REDIS_SENTINELS
  value: {{ join "," .Values.redis.sentinel.hosts | quote }}
- name: REDIS_SENTINEL_NAME
  value: {{ required "redis.sentinel.masterName is required with redis.sentinel.hosts" .Values.redis.sentinel.masterName | quote }}
{{- else if .Values.redis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretKey }}
{{- else }}
- name: REDIS_URL
  value: {{ required "redis.url, redis.existingSecret or redis.sentinel.hosts is required when redis.bundled.enabled is false" .Values.redis.url | quote }}
{{- end }}
{{- end }}

{{/* The environment the bot and the worker share (see .env.example); the worker adds its own. */}}
{{- define "mtls-doctor.env" -}}
- name: CLUSTER_NAME
  value: {{ .Values.clusterName | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
- name: FIXES_ENABLED
  value: {{ .Values.fixes.enabled | quote }}
- name: QUEUE_PREFIX
  value: {{ .Values.redis.queuePrefix | quote }}
- name: SLACK_BOT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "mtls-doctor.slackSecretName" . }}
      key: {{ .Values.slack.existingSecretKeys.botToken }}
{{- with .Values.slack.apiUrl }}
- name: SLACK_API_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.slack.incidentChannel }}
- name: INCIDENT_CHANNEL
  value: {{ . | quote }}
{{- end }}
- name: ALLOWED_CHANNEL_IDS
  value: {{ join "," .Values.slack.allowedChannelIds | quote }}
- name: APPROVER_USER_IDS
  value: {{ join "," .Values.slack.approverUserIds | quote }}
- name: APPROVER_USERGROUP_IDS
  value: {{ join "," .Values.slack.approverUsergroupIds | quote }}
- name: ALLOW_SELF_APPROVAL
  value: {{ .Values.slack.allowSelfApproval | quote }}
- name: APPROVE_REACTION
  value: {{ .Values.slack.reactions.approve | quote }}
- name: REJECT_REACTION
  value: {{ .Values.slack.reactions.reject | quote }}
- name: ROLLBACK_REACTION
  value: {{ .Values.slack.reactions.rollback | quote }}
{{- include "mtls-doctor.redisEnv" . }}
{{- end }}

{{/* What only the worker reads: scheduled scans, policy watches, certificate warnings. */}}
{{- define "mtls-doctor.workerEnv" -}}
- name: SCAN_INTERVAL_MINUTES
  value: {{ .Values.scans.intervalMinutes | quote }}
- name: SCAN_NAMESPACES
  value: {{ join "," .Values.scans.namespaces | quote }}
- name: WATCH_POLICIES
  value: {{ .Values.scans.watchPolicies | quote }}
- name: CERT_WARNING_MINUTES
  value: {{ .Values.certificateWarningMinutes | quote }}
{{- end }}

{{/*
Whether the worker watches the mesh policies: WATCH_POLICIES, and only with an incident channel (the
watch feeds it). The read-only ClusterRole grants `watch` exactly then.
*/}}
{{- define "mtls-doctor.watchesPolicies" -}}
{{- if and .Values.scans.watchPolicies .Values.slack.incidentChannel }}true{{ end }}
{{- end }}

{{/* Egress of the bot and the worker: DNS, Redis, HTTPS (Slack, the API server), and extraEgress. */}}
{{- define "mtls-doctor.egress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- if .Values.redis.bundled.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "mtls-doctor.selectorLabels" . | nindent 10 }}
          app.kubernetes.io/component: redis
  ports:
    - port: 6379
      protocol: TCP
{{- else }}
- to:
    {{- range .Values.networkPolicy.externalRedis.cidrs }}
    - ipBlock:
        cidr: {{ . | quote }}
    {{- end }}
  ports:
    {{- range .Values.networkPolicy.externalRedis.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
{{- end }}
- to:
    {{- range .Values.networkPolicy.httpsCidrs }}
    - ipBlock:
        cidr: {{ . | quote }}
    {{- end }}
  ports:
    {{- range .Values.networkPolicy.httpsPorts }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
{{- with .Values.networkPolicy.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end }}
