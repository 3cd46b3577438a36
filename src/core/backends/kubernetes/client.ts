/**
 * The one door to `@kubernetes/client-node`. The package is ESM-only while Baton compiles
 * to CommonJS (the extension host loads CommonJS); Node >= 20.19 can `require` an ES
 * module and esbuild bundles it, but TypeScript refuses a static import across that
 * boundary, so the value comes from `require` typed as the module, and types are
 * re-exported with the import resolution mode. Everything else imports from here.
 */
type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });

let loaded: ClientNode | undefined;

/**
 * The client, loaded on first use: it costs most of a second and ~60 MB to load, which a
 * `baton` command or a language server working only with local sessions never pays.
 */
export function kube(): ClientNode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('@kubernetes/client-node') as ClientNode);
}

export type KubeConfig = InstanceType<ClientNode['KubeConfig']>;
export type CoreV1Api = InstanceType<ClientNode['CoreV1Api']>;
export type Watch = InstanceType<ClientNode['Watch']>;
export type Log = InstanceType<ClientNode['Log']>;

export type {
  Cluster,
  Context,
  User,
  V1Pod,
  V1PodList,
  V1PodSpec,
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1EnvVar,
  V1Service,
  V1Namespace,
  V1Node,
  V1NodeList,
  V1Affinity,
  V1NodeSelectorTerm,
  V1NodeSelectorRequirement,
  V1PodAffinityTerm,
  V1WeightedPodAffinityTerm,
  V1PreferredSchedulingTerm,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
  V1ResourceRequirements,
  V1Status,
  V1ObjectMeta,
  CoreV1Event,
} from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
