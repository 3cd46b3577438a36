/**
 * What the editor services may know about the cluster a configuration targets. The
 * Kubernetes backend provides one; without it, label completion offers nothing and the
 * anti-affinity check is skipped.
 */
export interface ClusterInfoProvider {
  /** Label keys with the values seen on the nodes; undefined when no cluster is reachable. */
  nodeLabels(): Promise<Record<string, string[]>> | undefined;
  /** Number of schedulable nodes, when known. */
  nodeCount?(): number | undefined;
}

export const NO_CLUSTER: ClusterInfoProvider = { nodeLabels: () => undefined };
