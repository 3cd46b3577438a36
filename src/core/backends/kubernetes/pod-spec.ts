import type { AppConfig, KubernetesSettings, NodeRule, Placement, PodRule } from '../../config/types';
import type { AppLaunchSpec } from '../process-manager';
import { expandPlaceholders } from '../placeholders';
import type { V1Affinity, V1EnvVar, V1Pod, V1Service } from './client';

/** Labels and annotations Baton puts on what it creates; they carry what a reattach needs. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'baton';
export const LABEL_SESSION = 'baton.dev/session';
export const LABEL_APP = 'baton.dev/app';
export const ANNOTATION_PORT = 'baton.dev/port';
export const ANNOTATION_CONFIG_HASH = 'baton.dev/config-hash';
export const ANNOTATION_CONFIG_FILE = 'baton.dev/config-file';
export const ANNOTATION_APPS = 'baton.dev/apps';
export const ANNOTATION_STATE = 'baton.dev/state';
export const ANNOTATION_HOST_NETWORK = 'baton.dev/host-network';

/** The command port of an application whose port is `auto`: every pod has its own address. */
export const DEFAULT_POD_PORT = 3333;
export const CONTAINER_NAME = 'app';
export const DEFAULT_TOPOLOGY_KEY = 'kubernetes.io/hostname';
/** Preference weight of a soft rule that gives none. */
export const DEFAULT_WEIGHT = 50;

export interface PodBuildInput {
  session: string;
  namespace: string;
  spec: AppLaunchSpec;
  app: AppConfig;
  /** The exec's image, if it names one. */
  execImage?: string;
  settings: KubernetesSettings;
  /** metadata.labels of the configuration. */
  labels: Record<string, string>;
  configHash: string;
  terminateGraceMs: number;
}

export function sessionSelector(session: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_SESSION}=${session}`;
}

export function sessionLabels(session: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SESSION]: session };
}

/** The command port the pod listens on. */
export function podPort(spec: AppLaunchSpec, app: AppConfig): number {
  if (spec.port > 0) return spec.port;
  // Pods on the node's network share its ports, so none can be assumed free.
  if (app.hostNetwork) throw new Error(`application "${spec.name}" uses hostNetwork and so needs a fixed port (port: auto would collide on the node)`);
  return DEFAULT_POD_PORT;
}

/**
 * The Pod of one application: one container running the exec's command with restartPolicy
 * Never (a dead application is the run control's business, not restarted behind its back),
 * listening on its pod address, which it learns from the downward API as `POD_IP`;
 * `{host}` in arguments and environment becomes `$(POD_IP)`, which the kubelet expands.
 */
export function buildPod(input: PodBuildInput): V1Pod {
  const { spec, app, settings } = input;
  const name = spec.name;
  const port = podPort(spec, app);
  const image = app.image ?? input.execImage ?? settings.image;
  if (!image) throw new Error(`application "${name}" has no container image: set image on the application or its exec, or spec.kubernetes.image`);
  const vars = { name, host: '$(POD_IP)', port, session: input.session };
  const where = `application "${name}"`;
  const args = spec.args.map((a, i) => expandPlaceholders(escapeDollar(a), vars, `${where} args[${i}]`));
  const env: V1EnvVar[] = [
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  ];
  const reserved = new Set(env.map((e) => e.name));
  for (const [k, v] of Object.entries(spec.env)) {
    if (reserved.has(k)) throw new Error(`${where} env ${k}: the name is set by Baton on Kubernetes (from the downward API)`);
    env.push({ name: k, value: expandPlaceholders(escapeDollar(v), vars, `${where} env ${k}`) });
  }
  const resources: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  if (Object.keys(app.resources.requests).length) resources.requests = { ...app.resources.requests };
  if (Object.keys(app.resources.limits).length) resources.limits = { ...app.resources.limits };

  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: input.namespace,
      labels: { ...sessionLabels(input.session, input.labels), [LABEL_APP]: name },
      annotations: {
        [ANNOTATION_PORT]: String(port),
        [ANNOTATION_CONFIG_HASH]: input.configHash,
        ...(app.hostNetwork ? { [ANNOTATION_HOST_NETWORK]: 'true' } : {}),
      },
    },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: Math.max(0, Math.ceil(input.terminateGraceMs / 1000)),
      containers: [
        {
          name: CONTAINER_NAME,
          image,
          command: [spec.command],
          args,
          env,
          // No readiness probe: the kubelet's first probe comes a whole period after the
          // start, which would delay every boot; Baton pings the command port itself.
          ports: [{ name: 'restcmd', containerPort: port, protocol: 'TCP' }],
        },
      ],
    },
  };
  const podSpec = pod.spec!;
  const container = podSpec.containers[0];
  if (settings.imagePullPolicy) container.imagePullPolicy = settings.imagePullPolicy;
  if (resources.requests || resources.limits) container.resources = resources;
  if (app.privileged) container.securityContext = { privileged: true };
  if (app.preStop) container.lifecycle = { preStop: { exec: { command: [...app.preStop] } } };
  if (app.mounts.length) {
    podSpec.volumes = app.mounts.map((m, i) => ({ name: `host-${i}`, hostPath: { path: m.hostPath, type: 'Directory' } }));
    container.volumeMounts = app.mounts.map((m, i) => ({ name: `host-${i}`, mountPath: m.path, readOnly: m.readOnly }));
  }
  if (app.hostNetwork) {
    podSpec.hostNetwork = true;
    // Keeps cluster DNS names resolvable from the node's network namespace.
    podSpec.dnsPolicy = 'ClusterFirstWithHostNet';
  }
  if (settings.serviceAccount) podSpec.serviceAccountName = settings.serviceAccount;
  if (settings.imagePullSecrets.length) podSpec.imagePullSecrets = settings.imagePullSecrets.map((n) => ({ name: n }));
  applyPlacement(podSpec, app.placement);
  return pod;
}

/** The Service that names an application's command port inside the cluster. */
export function buildService(input: Pick<PodBuildInput, 'session' | 'namespace' | 'labels' | 'spec' | 'app'>): V1Service {
  const port = podPort(input.spec, input.app);
  const name = input.spec.name;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: input.namespace, labels: { ...sessionLabels(input.session, input.labels), [LABEL_APP]: name } },
    spec: {
      selector: { [LABEL_SESSION]: input.session, [LABEL_APP]: name },
      ports: [{ name: 'restcmd', port, targetPort: port, protocol: 'TCP' }],
    },
  };
}

/** nodeSelector, node affinity, pod (anti-)affinity and tolerations from the configuration. */
export function applyPlacement(podSpec: NonNullable<V1Pod['spec']>, p: Placement): void {
  if (Object.keys(p.nodeSelector).length) podSpec.nodeSelector = { ...p.nodeSelector };
  const affinity: V1Affinity = {};
  const strictNode = p.nodeAffinity.filter((r) => r.strict);
  const softNode = p.nodeAffinity.filter((r) => !r.strict);
  if (strictNode.length || softNode.length) {
    affinity.nodeAffinity = {};
    // All strict rules must hold: one term whose expressions are ANDed.
    if (strictNode.length) affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [{ matchExpressions: strictNode.map(nodeExpression) }] };
    if (softNode.length) affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution = softNode.map((r) => ({ weight: r.weight ?? DEFAULT_WEIGHT, preference: { matchExpressions: [nodeExpression(r)] } }));
  }
  const podAffinity = podTerms(p.affinity);
  if (podAffinity) affinity.podAffinity = podAffinity;
  const podAntiAffinity = podTerms(p.antiAffinity);
  if (podAntiAffinity) affinity.podAntiAffinity = podAntiAffinity;
  if (Object.keys(affinity).length) podSpec.affinity = affinity;
  if (p.tolerations.length) podSpec.tolerations = p.tolerations.map((t) => ({ ...t }));
}

function nodeExpression(r: NodeRule): { key: string; operator: string; values?: string[] } {
  const e: { key: string; operator: string; values?: string[] } = { key: r.key, operator: r.operator };
  if (r.operator !== 'Exists' && r.operator !== 'DoesNotExist') e.values = [...r.values];
  return e;
}

function podTerms(rules: PodRule[]) {
  if (!rules.length) return undefined;
  // Pod terms are limited to the pod's own namespace by default, which is the session's.
  const term = (r: PodRule) => ({ labelSelector: { matchExpressions: [{ key: LABEL_APP, operator: 'In', values: [...r.apps] }] }, topologyKey: r.topologyKey ?? DEFAULT_TOPOLOGY_KEY });
  const required = rules.filter((r) => r.strict).map(term);
  const preferred = rules.filter((r) => !r.strict).map((r) => ({ weight: r.weight ?? DEFAULT_WEIGHT, podAffinityTerm: term(r) }));
  const out: { requiredDuringSchedulingIgnoredDuringExecution?: ReturnType<typeof term>[]; preferredDuringSchedulingIgnoredDuringExecution?: typeof preferred } = {};
  if (required.length) out.requiredDuringSchedulingIgnoredDuringExecution = required;
  if (preferred.length) out.preferredDuringSchedulingIgnoredDuringExecution = preferred;
  return out;
}

/** Kubernetes expands `$(VAR)` and reduces `$$` to `$` in args and env: a literal `$` must be doubled. */
function escapeDollar(text: string): string {
  return text.replace(/\$/g, '$$$$');
}
