/** Public shapes of the simulated cluster (see index.ts). */

export type SimKind = 'pods' | 'services' | 'namespaces' | 'nodes' | 'events';

export interface SimTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface SimNodeSpec {
  name: string;
  labels?: Record<string, string>;
  taints?: SimTaint[];
  /** cpu, memory, pods, extended e.g. 'felix.cern/card': '1'. */
  allocatable?: Record<string, string>;
  ready?: boolean;
  unschedulable?: boolean;
}

export interface SimClusterOptions {
  /** A number n makes node-0..node-(n-1) with kubernetes.io/hostname labels, cpu 16, memory 64Gi. Default 1. */
  nodes?: number | SimNodeSpec[];
  /** 0 = ephemeral (default). */
  port?: number;
  /** Pullable images; default: any image whose name contains 'daq-app'. */
  images?: (image: string) => boolean;
  /** Time the kubelet spends "creating" a container before starting its process (default 0). */
  kubeletStartDelayMs?: number;
  /** Path of the reference application run for `baton-daq-app` (default <repo>/dist/daq-app.js). */
  daqApp?: string;
}

export interface RequestMatch {
  verb?: string;
  resource?: string;
}

export interface SimFaults {
  /** End every open watch stream now (clients must re-list/re-watch). */
  dropWatches(): void;
  /** The next watch from an older resourceVersion gets 410 Gone (ERROR event with Status code 410). */
  compactHistory(): void;
  /** The next `count` matching requests fail with a Status body of that code. */
  failNext(count: number, code: 409 | 500 | 503 | 403, match?: RequestMatch): void;
  /** Matching requests are answered after `ms` (0 = off). */
  delay(ms: number, match?: RequestMatch): void;
  /** NotReady: Ready condition False; pods there are NOT killed unless evicted. */
  setNodeReady(node: string, ready: boolean): void;
  /** Phase Failed, reason Evicted, process killed. */
  evictPod(namespace: string, name: string, message?: string): void;
  /** The container's process dies as if OOM-killed (SIGKILL, the default) or crashed. */
  killContainer(namespace: string, name: string, signal?: NodeJS.Signals): void;
  /** Closes the listener (connections refused) and comes back on the same port; store kept. */
  restartApiServer(downMs: number): Promise<void>;
  /** 403 Forbidden with an RBAC-style message for that resource (and verb, or every verb). */
  forbid(resource: string, verb?: string): void;
}

export interface SimCluster {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Writes a kubeconfig for this cluster: cluster+user+context named `context` (default 'sim'); user 'forbidden' gets 403 on everything. */
  writeKubeconfig(file: string, opts?: { context?: string; namespace?: string; user?: 'admin' | 'forbidden' }): void;
  readonly faults: SimFaults;
  /** Requests served so far, by verb+resource, e.g. {'create pods': 3, 'watch pods': 1, ...}. */
  readonly requests: { total(): number; byKind(): Record<string, number>; reset(): void };
  /** Direct read access for tests. */
  readonly store: {
    get(kind: SimKind, namespace: string | undefined, name: string): any; // eslint-disable-line @typescript-eslint/no-explicit-any
    list(kind: string, namespace?: string): any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  addNode(spec: SimNodeSpec): void;
  /** Pids of the container processes running now (each leads its own process group). */
  pids(): number[];
  /** Open watch streams right now. */
  openWatches(): number;
  /** Kills every kubelet process, closes the server. */
  stop(): Promise<void>;
}
