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

{{/* Labels of every object: the selector labels, then `commonLabels`, then the chart's own (part-of names
     the application this component belongs to). Takes (list $ctx component). */}}
{{- define "gateway-agent.labelsFor" -}}
{{- $ctx := index . 0 -}}
{{- $own := dict "helm.sh/chart" (printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-") "app.kubernetes.io/version" $ctx.Chart.AppVersion "app.kubernetes.io/managed-by" $ctx.Release.Service "app.kubernetes.io/part-of" "eci-hybrid-gateway" "app.kubernetes.io/component" (index . 1) -}}
{{- $selector := include "gateway-agent.selectorLabels" $ctx | fromYaml -}}
{{- if eq (index . 1) "test" -}}
{{- /* Test hook pods must not match the workload's selector (its ReplicaSet would adopt them, its Service route to them). */ -}}
{{- $_ := set $selector "app.kubernetes.io/name" (printf "%s-test" (include "gateway-agent.name" $ctx)) -}}
{{- end -}}
{{- $labels := merge $selector (deepCopy ($ctx.Values.commonLabels | default dict)) $own -}}
{{- toYaml $labels -}}
{{- end -}}

{{- define "gateway-agent.labels" -}}
{{- include "gateway-agent.labelsFor" (list . "virtual-kubelet") -}}
{{- end -}}

{{/* Labels of the pods: the selector labels, `podLabels`, `commonLabels` (never replacing the selector). */}}
{{- define "gateway-agent.podLabels" -}}
{{- $labels := merge (include "gateway-agent.selectorLabels" . | fromYaml) (deepCopy (.Values.podLabels | default dict)) (deepCopy (.Values.commonLabels | default dict)) -}}
{{- toYaml $labels -}}
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

{{/* repository@digest when a digest is set (the tag is then ignored), else repository:tag (appVersion by default). */}}
{{- define "gateway-agent.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* topologySpreadConstraints; one without a labelSelector selects this release's pods. */}}
{{- define "gateway-agent.topologySpreadConstraints" -}}
{{- $out := list -}}
{{- range .Values.topologySpreadConstraints -}}
{{- $c := deepCopy . -}}
{{- if not $c.labelSelector -}}
{{- $_ := set $c "labelSelector" (dict "matchLabels" (include "gateway-agent.selectorLabels" $ | fromYaml)) -}}
{{- end -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The agent's config file (keys of AGENT_FIELDS in agent/cli.ts). Downward-API values come from env (POD_IP
     is node.internalIP, which network.advertiseAddress defaults to). */}}
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
{{- $network := dict "mode" .Values.network.mode "listen" .Values.network.listen "portRange" .Values.network.portRange "maxConnections" .Values.network.maxConnections -}}
{{- if .Values.network.advertiseAddress -}}
{{- $_ := set $network "advertiseAddress" .Values.network.advertiseAddress -}}
{{- end -}}
{{- $scaleIn := dict "burstPodsFirst" .Values.scaleIn.burstPodsFirst "deletionCost" (int .Values.scaleIn.deletionCost) -}}
{{- $cfg := dict "clusterId" .Values.clusterId "relay" $relay "node" $node "nodeIdentity" $identity "kubelet" $kubelet "network" $network "scaleIn" $scaleIn "ops" (dict "port" .Values.ops.port) -}}
{{- if .Values.leaderElection.enabled -}}
{{- $_ := set $cfg "leaderElection" (dict "name" (include "gateway-agent.leaseName" .)) -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Cluster-scoped objects are named after the namespace and the release's full name. */}}
{{- define "gateway-agent.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "gateway-agent.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
