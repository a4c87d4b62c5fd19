{{/* Names, labels and derived values shared by the gateway-agent templates. */}}

{{- define "gateway-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gateway-agent.fullname" -}}
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

{{- define "gateway-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gateway-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gateway-agent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gateway-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: virtual-kubelet
{{- end -}}

{{- define "gateway-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gateway-agent.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "gateway-agent.credentialsSecret" -}}
{{- default (printf "%s-relay-credentials" (include "gateway-agent.fullname" .)) .Values.relay.credentials.existingSecret -}}
{{- end -}}

{{/* The leader Lease; the agent's own default is gateway-agent-<node name>. */}}
{{- define "gateway-agent.leaseName" -}}
{{- default (printf "gateway-agent-%s" .Values.node.name) .Values.leaderElection.leaseName -}}
{{- end -}}

{{- define "gateway-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The agent's config file (keys of AGENT_FIELDS in agent/cli.ts). Downward-API values come from env. */}}
{{- define "gateway-agent.config" -}}
{{- $relay := dict "address" .Values.relay.address "caFile" "/etc/ecigw/relay/ca.crt" -}}
{{- if eq .Values.relay.credentials.type "mtls" -}}
{{- $_ := set $relay "certFile" "/etc/ecigw/relay/tls.crt" -}}
{{- $_ := set $relay "keyFile" "/etc/ecigw/relay/tls.key" -}}
{{- else -}}
{{- $_ := set $relay "tokenFile" "/etc/ecigw/relay/token" -}}
{{- end -}}
{{- if .Values.relay.proxy -}}
{{- $_ := set $relay "proxy" .Values.relay.proxy -}}
{{- end -}}
{{- $node := dict "name" .Values.node.name "capacity" .Values.node.capacity "labels" .Values.node.labels "taints" .Values.node.taints "declareWebSocketStreaming" .Values.node.declareWebSocketStreaming -}}
{{- if .Values.node.region -}}
{{- $_ := set $node "region" .Values.node.region -}}
{{- end -}}
{{- if .Values.node.zone -}}
{{- $_ := set $node "zone" .Values.node.zone -}}
{{- end -}}
{{- $kubelet := dict "port" .Values.kubelet.port -}}
{{- if .Values.kubelet.tlsSecret -}}
{{- $_ := set $kubelet "certFile" "/etc/ecigw/kubelet-tls/tls.crt" -}}
{{- $_ := set $kubelet "keyFile" "/etc/ecigw/kubelet-tls/tls.key" -}}
{{- end -}}
{{- if .Values.kubelet.clientCAConfigMap -}}
{{- $_ := set $kubelet "clientCaFile" "/etc/ecigw/kubelet-client-ca/ca.crt" -}}
{{- end -}}
{{- $identity := dict "enabled" true "expirationSeconds" .Values.nodeIdentity.expirationSeconds "approvalReminderSeconds" .Values.nodeIdentity.approvalReminderSeconds -}}
{{- if ne .Values.nodeIdentity.keyStorage "memory" -}}
{{- $_ := set $identity "certDir" "/var/lib/ecigw/node-identity/pki" -}}
{{- end -}}
{{- $cfg := dict "clusterId" .Values.clusterId "relay" $relay "node" $node "nodeIdentity" $identity "kubelet" $kubelet "ops" (dict "port" .Values.ops.port) -}}
{{- if .Values.leaderElection.enabled -}}
{{- $_ := set $cfg "leaderElection" (dict "name" (include "gateway-agent.leaseName" .)) -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}
