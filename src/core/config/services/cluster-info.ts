/**
 * What the editor services may know about the cluster a configuration targets. The
 * Kubernetes backend provides one; without it, label completion offers nothing and the
 * cluster checks are skipped.
 */
export interface ClusterInfoProvider {
  /**
   * Label keys with the values seen on the nodes of a context (undefined: the selected
   * one); undefined when no cluster is known.
   */
  nodeLabels(context?: string): Promise<Record<string, string[]>> | undefined;
  /** Number of schedulable nodes, when known. */
  nodeCount?(): number | undefined;
  /**
   * The nodes of a context as last seen, without waiting: undefined while nothing is known
   * yet (asking starts the watch that will know). Validation runs on this, never on a request.
   */
  snapshot?(context?: string): ClusterSnapshot | undefined;
  /** Why a context has no snapshot (unknown context, unreachable, Forbidden), once that is known. */
  problem?(context?: string): string | undefined;
  /** Called whenever a snapshot (or a problem) changed, so open documents can be checked again. Returns an unsubscribe function. */
  onDidChange?(listener: () => void): () => void;
}

export const NO_CLUSTER: ClusterInfoProvider = { nodeLabels: () => undefined };

/** One node, reduced to what placement depends on. */
export interface ClusterNodeFacts {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** Allocatable quantities as the API writes them (`cpu: "8"`, `felix.cern/card: "1"`). */
  allocatable: Readonly<Record<string, string>>;
  taints: ReadonlyArray<{ key: string; value?: string; effect: string }>;
  /** The Ready condition is True. */
  ready: boolean;
  /** Cordoned (`spec.unschedulable`). */
  unschedulable: boolean;
}

export interface ClusterSnapshot {
  /** The kubeconfig context the nodes were read from (named in messages). */
  context: string;
  nodes: readonly ClusterNodeFacts[];
}

/** Nodes that take new pods at all: Ready and not cordoned. */
export function schedulableNodeCount(snapshot: ClusterSnapshot): number {
  return snapshot.nodes.filter((n) => n.ready && !n.unschedulable).length;
}

/** Label keys with their values, sorted, as completion offers them. */
export function labelValues(nodes: readonly ClusterNodeFacts[]): Record<string, string[]> {
  const seen = new Map<string, Set<string>>();
  for (const n of nodes) {
    for (const [k, v] of Object.entries(n.labels)) {
      let values = seen.get(k);
      if (!values) seen.set(k, (values = new Set()));
      values.add(v);
    }
  }
  const out: Record<string, string[]> = {};
  for (const k of [...seen.keys()].sort()) out[k] = [...seen.get(k)!].sort();
  return out;
}
