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

{{/* Labels of every object: the selector labels, then `commonLabels`, then the chart's own (part-of names
     the application this component belongs to). Takes (list $ctx component). */}}
{{- define "gateway-relay.labelsFor" -}}
{{- $ctx := index . 0 -}}
{{- $own := dict "helm.sh/chart" (printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-") "app.kubernetes.io/version" $ctx.Chart.AppVersion "app.kubernetes.io/managed-by" $ctx.Release.Service "app.kubernetes.io/part-of" "eci-hybrid-gateway" "app.kubernetes.io/component" (index . 1) -}}
{{- $selector := include "gateway-relay.selectorLabels" $ctx | fromYaml -}}
{{- if eq (index . 1) "test" -}}
{{- /* Test hook pods must not match the workload's selector (its ReplicaSet would adopt them, its Service route to them). */ -}}
{{- $_ := set $selector "app.kubernetes.io/name" (printf "%s-test" (include "gateway-relay.name" $ctx)) -}}
{{- end -}}
{{- $labels := merge $selector (deepCopy ($ctx.Values.commonLabels | default dict)) $own -}}
{{- toYaml $labels -}}
{{- end -}}

{{- define "gateway-relay.labels" -}}
{{- include "gateway-relay.labelsFor" (list . "relay") -}}
{{- end -}}

{{/* Labels of the pods: the selector labels, `podLabels`, `commonLabels` (never replacing the selector). */}}
{{- define "gateway-relay.podLabels" -}}
{{- $labels := merge (include "gateway-relay.selectorLabels" . | fromYaml) (deepCopy (.Values.podLabels | default dict)) (deepCopy (.Values.commonLabels | default dict)) -}}
{{- toYaml $labels -}}
{{- end -}}

{{- define "gateway-relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gateway-relay.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* repository@digest when a digest is set (the tag is then ignored), else repository:tag (appVersion by default). */}}
{{- define "gateway-relay.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* topologySpreadConstraints; one without a labelSelector selects this release's pods. */}}
{{- define "gateway-relay.topologySpreadConstraints" -}}
{{- $out := list -}}
{{- range .Values.topologySpreadConstraints -}}
{{- $c := deepCopy . -}}
{{- if not $c.labelSelector -}}
{{- $_ := set $c "labelSelector" (dict "matchLabels" (include "gateway-relay.selectorLabels" $ | fromYaml)) -}}
{{- end -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- toYaml $out -}}
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

{{/* networking mode `tunnel`, outbound: the Secret with the key that signs pods' egress credentials. */}}
{{- define "gateway-relay.egressTokenSecret" -}}
{{- default (printf "%s-egress-token-key" (include "gateway-relay.fullname" .)) .Values.egress.tokenKey.existingSecret -}}
{{- end -}}

{{/* The ConfigMap the chart makes of `egress.ca.pem`. */}}
{{- define "gateway-relay.egressCaConfigMap" -}}
{{- printf "%s-egress-ca" (include "gateway-relay.fullname" .) -}}
{{- end -}}

{{/* Whether the sidecars' CA bundle has a volume of its own (else it is the TLS Secret's ca.crt). */}}
{{- define "gateway-relay.hasEgressCaVolume" -}}
{{- $ca := .Values.egress.ca -}}
{{- if and .Values.egress.enabled (or $ca.existingSecret $ca.existingConfigMap $ca.pem) -}}true{{- end -}}
{{- end -}}

{{/* The CA bundle's path in the relay container. */}}
{{- define "gateway-relay.egressCaFile" -}}
{{- if include "gateway-relay.hasEgressCaVolume" . -}}
{{- printf "/etc/ecigw/egress-ca/%s" .Values.egress.ca.key -}}
{{- else -}}
/etc/ecigw/tls/ca.crt
{{- end -}}
{{- end -}}

{{/* The sidecars' CA bundle when the chart holds it in values (egress.ca.pem, or tls.clientCA in the chart's
     TLS Secret): the relay reads it once at start, so a change must roll the pods. Empty otherwise. */}}
{{- define "gateway-relay.egressCaInline" -}}
{{- if .Values.egress.enabled -}}
{{- if .Values.egress.ca.pem -}}
{{- .Values.egress.ca.pem -}}
{{- else if and (not (include "gateway-relay.hasEgressCaVolume" .)) (not .Values.tls.existingSecret) -}}
{{- .Values.tls.clientCA -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Values that the schema cannot refuse on its own: each fails the render naming the value. */}}
{{- define "gateway-relay.validate" -}}
{{- $e := .Values.egress -}}
{{- if not $e.enabled -}}
{{- range $id, $t := .Values.tenants -}}
{{- if and (kindIs "map" $t) (hasKey $t "egress") -}}
{{- fail (printf "tenants.%s.egress: set egress.enabled=true (its pods' sidecars call the relay's egress listener, which is off)" $id) -}}
{{- end -}}
{{- end -}}
{{- else -}}
{{- $others := dict "port" .Values.port "ops.port" .Values.ops.port -}}
{{- if .Values.dataPort -}}
{{- $_ := set $others "dataPort" .Values.dataPort -}}
{{- end -}}
{{- range $name, $p := $others -}}
{{- if eq (int $p) (int $e.port) -}}
{{- fail (printf "egress.port: %d is also %s; give the egress listener a port of its own" (int $e.port) $name) -}}
{{- end -}}
{{- end -}}
{{- $sources := 0 -}}
{{- range $s := list $e.ca.existingSecret $e.ca.existingConfigMap $e.ca.pem -}}
{{- if $s -}}
{{- $sources = add1 $sources -}}
{{- end -}}
{{- end -}}
{{- if gt $sources 1 -}}
{{- fail "egress.ca: set one of existingSecret, existingConfigMap and pem" -}}
{{- end -}}
{{- end -}}
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
{{- if .Values.dataPort -}}
{{- $_ := set $cfg "dataPort" .Values.dataPort -}}
{{- end -}}
{{- if .Values.egress.enabled -}}
{{- $egress := dict "port" .Values.egress.port "tokenKeyFile" (printf "/etc/ecigw/egress-token/%s" .Values.egress.tokenKey.key) "caFile" (include "gateway-relay.egressCaFile" .) "checkSourceAddress" .Values.egress.checkSourceAddress -}}
{{- $_ := set $cfg "egress" $egress -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}
