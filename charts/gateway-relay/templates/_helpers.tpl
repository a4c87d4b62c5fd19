{{/* Names, labels and derived values shared by the gateway-relay templates. */}}

{{- define "gateway-relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gateway-relay.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "gateway-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gateway-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gateway-relay.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gateway-relay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: relay
{{- end -}}

{{- define "gateway-relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gateway-relay.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "gateway-relay.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "gateway-relay.tlsSecret" -}}
{{- default (printf "%s-tls" (include "gateway-relay.fullname" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{- define "gateway-relay.credentialsSecret" -}}
{{- default (printf "%s-eci-credentials" (include "gateway-relay.fullname" .)) .Values.eciCredentials.existingSecret -}}
{{- end -}}

{{- define "gateway-relay.hasCredentialsSecret" -}}
{{- if or .Values.eciCredentials.existingSecret .Values.eciCredentials.tenants -}}true{{- end -}}
{{- end -}}

{{- define "gateway-relay.tokensSecret" -}}
{{- default (printf "%s-tokens" (include "gateway-relay.fullname" .)) .Values.tokens.existingSecret -}}
{{- end -}}

{{- define "gateway-relay.hasTokens" -}}
{{- if or .Values.tokens.existingSecret .Values.tokens.hashes -}}true{{- end -}}
{{- end -}}

{{/* The relay's config file: process settings (RELAY_FIELDS in cloud/relay/cli.ts) and the tenant
     configuration (cloud/relay/config.ts). */}}
{{- define "gateway-relay.config" -}}
{{- $tenants := dict -}}
{{- range $id, $t := .Values.tenants -}}
{{- $out := deepCopy $t -}}
{{- if not $out.credentialsRef -}}
{{- $_ := set $out "credentialsRef" (printf "file:/etc/ecigw/credentials/%s.json" $id) -}}
{{- end -}}
{{- $_ := set $tenants $id $out -}}
{{- end -}}
{{- $eci := dict "protocol" .Values.eci.protocol "timeoutMs" .Values.eci.timeoutMs -}}
{{- if .Values.eci.endpoint -}}
{{- $_ := set $eci "endpoint" .Values.eci.endpoint -}}
{{- end -}}
{{- $tls := dict "certFile" "/etc/ecigw/tls/tls.crt" "keyFile" "/etc/ecigw/tls/tls.key" "clientCaFile" "/etc/ecigw/tls/ca.crt" -}}
{{- $cfg := dict "port" .Values.port "tls" $tls "eci" $eci "gcGraceSeconds" .Values.gcGraceSeconds "ops" (dict "port" .Values.ops.port) "tenants" $tenants "certificateIdentities" .Values.certificateIdentities "limits" .Values.limits -}}
{{- if include "gateway-relay.hasTokens" . -}}
{{- $_ := set $cfg "tokenFile" "/etc/ecigw/tokens/tokens.json" -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}
