{{/* Names, labels and the pieces every pod of the portal shares. */}}

{{- define "platform-portal.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "platform-portal.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<fullname>-<component>"; the full name is cut to 50 characters so that this fits in 63. */}}
{{- define "platform-portal.componentName" -}}
{{- printf "%s-%s" (include "platform-portal.fullname" .root) .component }}
{{- end }}

{{- define "platform-portal.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "platform-portal.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: platform-portal
{{- end }}

{{- define "platform-portal.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform-portal.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "platform-portal.componentLabels" -}}
{{ include "platform-portal.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "platform-portal.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "platform-portal.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "platform-portal.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is needed when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "platform-portal.secretName" -}}
{{- default (include "platform-portal.fullname" .) .Values.secrets.name }}
{{- end }}

{{/* SITE_URL's host without a port (Django compares ALLOWED_HOSTS with the port stripped). */}}
{{- define "platform-portal.siteHost" -}}
{{- with .Values.config.SITE_URL }}
{{- regexReplaceAll ":[0-9]+$" (urlParse .).host "" }}
{{- end }}
{{- end }}

{{- define "platform-portal.siteOrigin" -}}
{{- with .Values.config.SITE_URL }}
{{- $url := urlParse . }}
{{- printf "%s://%s" $url.scheme $url.host }}
{{- end }}
{{- end }}

{{/* Comma-separated list: drops blanks and repeats. */}}
{{- define "platform-portal.commaList" -}}
{{- $items := list }}
{{- range . }}
{{- range splitList "," (toString .) }}
{{- if trim . }}
{{- $items = append $items (trim .) }}
{{- end }}
{{- end }}
{{- end }}
{{- join "," (uniq $items) }}
{{- end }}

{{/*
ALLOWED_HOSTS for the web pods: SITE_URL's host, the extra hosts, the in-cluster Service names (Backstage
and Alertmanager call the portal there) and the pod's own IP, which the kubelet's probes and Prometheus
send as Host. Kubernetes expands $(POD_IP) from the variable defined before it.
*/}}
{{- define "platform-portal.allowedHosts" -}}
{{- $service := include "platform-portal.componentName" (dict "root" . "component" "web") }}
{{- $namespace := .Release.Namespace }}
{{- $inCluster := list $service (printf "%s.%s" $service $namespace) (printf "%s.%s.svc" $service $namespace) (printf "%s.%s.svc.%s" $service $namespace .Values.clusterDomain) }}
{{- include "platform-portal.commaList" (concat (list (include "platform-portal.siteHost" .) .Values.config.ALLOWED_HOSTS) $inCluster (list "$(POD_IP)")) }}
{{- end }}

{{/* The non-secret settings, as the ConfigMap's data (YAML map of strings). */}}
{{- define "platform-portal.settings" -}}
{{- $settings := dict }}
{{- range $name, $value := .Values.config }}
{{- if and (ne $name "ALLOWED_HOSTS") (ne $name "CSRF_TRUSTED_ORIGINS") (ne (toString $value) "") }}
{{- $_ := set $settings $name (toString $value) }}
{{- end }}
{{- end }}
{{- $origins := include "platform-portal.commaList" (list (include "platform-portal.siteOrigin" .) .Values.config.CSRF_TRUSTED_ORIGINS) }}
{{- if $origins }}
{{- $_ := set $settings "CSRF_TRUSTED_ORIGINS" $origins }}
{{- end }}
{{- toYaml $settings }}
{{- end }}

{{/*
Environment every portal container shares: the data folder, and each secret setting either as NAME_FILE
(a mounted file; the value stays out of the environment) or as NAME from the Secret.
Takes (dict "root" $ "secretName" name "settings" list-of-setting-names).
*/}}
{{- define "platform-portal.env" -}}
{{- $root := .root -}}
- name: PORTAL_DATA_DIR
  value: {{ $root.Values.dataDir | quote }}
{{- range $name := .settings }}
{{- if eq $root.Values.secrets.mountAs "files" }}
- name: {{ printf "%s_FILE" $name }}
  value: {{ printf "%s/%s" $root.Values.secrets.mountPath $name | quote }}
{{- else }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.secretName }}
      key: {{ $name }}
{{- end }}
{{- end }}
{{- end }}

{{- define "platform-portal.secretSettingNames" -}}
{{- keys .Values.secrets.settings | sortAlpha | toJson }}
{{- end }}

{{/* Writable places on a read-only root filesystem, and the secret files. Takes (dict "root" $ "secretName" name). */}}
{{- define "platform-portal.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpSizeLimit }}
- name: data
  emptyDir:
    sizeLimit: {{ .root.Values.dataDirSizeLimit }}
{{- if eq .root.Values.secrets.mountAs "files" }}
- name: secrets
  secret:
    secretName: {{ .secretName }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{- define "platform-portal.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: {{ .Values.dataDir }}
{{- if eq .Values.secrets.mountAs "files" }}
- name: secrets
  mountPath: {{ .Values.secrets.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "platform-portal.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
fsGroup: {{ .Values.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "platform-portal.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Scheduling fields of a pod; takes the component's values. */}}
{{- define "platform-portal.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* A remoteRef of an ExternalSecret from {key, property, version}. */}}
{{- define "platform-portal.remoteRef" -}}
key: {{ .key | quote }}
{{- with .property }}
property: {{ . | quote }}
{{- end }}
{{- with .version }}
version: {{ . | quote }}
{{- end }}
{{- end }}

{{/* One step of the migration hook Job; takes (dict "root" $ "name" n "args" list "secretName" s). */}}
{{- define "platform-portal.migrateContainer" -}}
{{- $root := .root -}}
- name: {{ .name }}
  image: {{ include "platform-portal.image" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  command:
    - python
    - manage.py
    {{- range .args }}
    - {{ . }}
    {{- end }}
  env:
    {{- range $setting, $value := include "platform-portal.settings" $root | fromYaml }}
    - name: {{ $setting }}
      value: {{ $value | quote }}
    {{- end }}
    {{- include "platform-portal.env" (dict "root" $root "secretName" .secretName "settings" ($root.Values.migrate.secretSettings | uniq | sortAlpha)) | nindent 4 }}
  resources:
    {{- toYaml $root.Values.migrate.resources | nindent 4 }}
  securityContext:
    {{- include "platform-portal.containerSecurityContext" $root | nindent 4 }}
  volumeMounts:
    {{- include "platform-portal.volumeMounts" $root | nindent 4 }}
{{- end }}
