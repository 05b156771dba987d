{{/* Names: "<release>-tessera", or the release name when it contains "tessera". */}}
{{- define "tessera.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tessera.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "meta") */}}
{{- define "tessera.selector" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tessera.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "tessera.secretName" -}}
{{- .Values.rootCredentials.existingSecret | default (printf "%s-root" (include "tessera.fullname" .)) -}}
{{- end -}}

{{/* DNS name of meta pod N: <fullname>-meta-N.<fullname>-meta.<ns>.svc.<domain> */}}
{{- define "tessera.metaHost" -}}
{{- $name := printf "%s-meta" (include "tessera.fullname" .ctx) -}}
{{- printf "%s-%d.%s.%s.svc.%s" $name (int .ordinal) $name .ctx.Release.Namespace .ctx.Values.clusterDomain -}}
{{- end -}}

{{/* Every metadata node, HOST:PORT,HOST:PORT,... (--meta) */}}
{{- define "tessera.metaEndpoints" -}}
{{- $eps := list -}}
{{- range $i := until (int .Values.meta.replicas) -}}
{{- $eps = append $eps (printf "%s:%d" (include "tessera.metaHost" (dict "ctx" $ "ordinal" $i)) (int $.Values.meta.port)) -}}
{{- end -}}
{{- join "," $eps -}}
{{- end -}}

{{/* The initial Raft voters: --peer ID=HOST:PORT for each meta pod, ID = ordinal + 1. */}}
{{- define "tessera.metaPeers" -}}
{{- $peers := list -}}
{{- range $i := until (int .Values.meta.replicas) -}}
{{- $peers = append $peers (printf "--peer %d=%s:%d" (add1 $i) (include "tessera.metaHost" (dict "ctx" $ "ordinal" $i)) (int $.Values.meta.port)) -}}
{{- end -}}
{{- join " " $peers -}}
{{- end -}}

{{/* HOST:PORT to listen on. */}}
{{- define "tessera.listen" -}}
{{- if contains ":" .ctx.Values.listenHost -}}
[{{ .ctx.Values.listenHost }}]:{{ .port }}
{{- else -}}
{{ .ctx.Values.listenHost }}:{{ .port }}
{{- end -}}
{{- end -}}

{{/* DATA+PARITY of a profile "4+2", as a number of shards; fails on anything else. */}}
{{- define "tessera.profileShards" -}}
{{- if not (regexMatch "^[1-9][0-9]*\\+[0-9]+$" .) -}}
{{- fail (printf "erasure profile %q is not DATA+PARITY, e.g. \"4+2\"" .) -}}
{{- end -}}
{{- $parts := splitList "+" . -}}
{{- add (atoi (index $parts 0)) (atoi (index $parts 1)) -}}
{{- end -}}

{{/* Checks of the values that Kubernetes would not catch; included by the ConfigMap. */}}
{{- define "tessera.validate" -}}
{{- $meta := int .Values.meta.replicas -}}
{{- if or (lt $meta 1) (eq (mod $meta 2) 0) -}}
{{- fail (printf "meta.replicas must be odd (1, 3, 5...): a Raft group of %d voters tolerates no more failures than one of %d" $meta (sub $meta 1)) -}}
{{- end -}}
{{- $storage := int .Values.storage.replicas -}}
{{- $down := int .Values.storage.maxUnavailable -}}
{{- range $p := list .Values.erasure.standard .Values.erasure.reducedRedundancy -}}
{{- $shards := int (include "tessera.profileShards" $p) -}}
{{- if lt $storage $shards -}}
{{- fail (printf "storage.replicas = %d is fewer than the %d shards of erasure profile %s: each shard needs its own storage node" $storage $shards $p) -}}
{{- end -}}
{{- $parity := atoi (index (splitList "+" $p) 1) -}}
{{- if or (lt $down 1) (gt $down $parity) -}}
{{- fail (printf "storage.maxUnavailable = %d must be between 1 and the %d parity shards of erasure profile %s" $down $parity $p) -}}
{{- end -}}
{{- end -}}
{{- if and (not .Values.gateway.workers) (not .Values.worker.enabled) -}}
{{- fail "no background workers would run (GC, repair, scrub): set gateway.workers=true or worker.enabled=true" -}}
{{- end -}}
{{- end -}}

{{/* One TOML value: strings quoted, whole numbers without the ".0" that YAML's
     float64 would print, booleans, lists of those. */}}
{{- define "tessera.tomlValue" -}}
{{- if kindIs "string" . -}}
{{- toJson . -}}
{{- else if kindIs "bool" . -}}
{{- . -}}
{{- else if or (kindIs "float64" .) (kindIs "int" .) (kindIs "int64" .) -}}
{{- if eq (float64 .) (floor .) }}{{ int64 . }}{{ else }}{{ . }}{{ end -}}
{{- else if kindIs "slice" . -}}
[{{ range $i, $v := . }}{{ if $i }}, {{ end }}{{ include "tessera.tomlValue" $v }}{{ end }}]
{{- else -}}
{{- fail (printf "config: unsupported value %v" .) -}}
{{- end -}}
{{- end -}}

{{/* The TOML configuration file: `config` with the erasure profiles set. */}}
{{- define "tessera.toml" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- $engine := get $cfg "engine" | default (dict) -}}
{{- $_ := set $engine "standard_profile" .Values.erasure.standard -}}
{{- $_ := set $engine "reduced_redundancy_profile" .Values.erasure.reducedRedundancy -}}
{{- $_ := set $cfg "engine" $engine -}}
{{- range $k := keys $cfg | sortAlpha -}}
{{- $v := get $cfg $k -}}
{{- if not (kindIs "map" $v) }}
{{ $k }} = {{ include "tessera.tomlValue" $v }}
{{- end -}}
{{- end -}}
{{- range $k := keys $cfg | sortAlpha -}}
{{- $v := get $cfg $k -}}
{{- if and (kindIs "map" $v) $v }}

[{{ $k }}]
{{- range $f := keys $v | sortAlpha }}
{{ $f }} = {{ include "tessera.tomlValue" (get $v $f) }}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Scheduling of one component: (dict "ctx" $ "component" "meta" "values" .Values.meta) */}}
{{- define "tessera.scheduling" -}}
{{- $sel := include "tessera.selector" . | fromYaml -}}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
affinity:
{{- if .values.affinity }}
  {{- toYaml .values.affinity | nindent 2 }}
{{- else }}
  podAntiAffinity:
  {{- if eq .ctx.Values.spread.antiAffinity "hard" }}
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- toYaml $sel | nindent 12 }}
  {{- else }}
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- toYaml $sel | nindent 14 }}
  {{- end }}
{{- end }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: {{ .ctx.Values.spread.topologyKey }}
    whenUnsatisfiable: {{ .ctx.Values.spread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- toYaml $sel | nindent 8 }}
{{- end -}}

{{/* Pod-level settings shared by every component. */}}
{{- define "tessera.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* Environment of a gateway: the root credentials. */}}
{{- define "tessera.rootEnv" -}}
- name: TESSERA_ROOT_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tessera.secretName" . }}
      key: {{ .Values.rootCredentials.accessKeyKey }}
- name: TESSERA_ROOT_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tessera.secretName" . }}
      key: {{ .Values.rootCredentials.secretKeyKey }}
{{- end -}}

{{/* The config volume and its mount. */}}
{{- define "tessera.configVolume" -}}
- name: config
  configMap:
    name: {{ include "tessera.fullname" . }}-config
{{- end -}}
{{- define "tessera.configMount" -}}
- name: config
  mountPath: /etc/tessera
  readOnly: true
{{- end -}}
