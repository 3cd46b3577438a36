// Entry of dist/session-core.js: everything the extension needs to open a session (config
// loader, validator, controller, local backend). Bundled apart from dist/extension.js and
// required on first use, so a window that never opens a session never loads it.
export { loadRunConfig, ConfigError } from '../core/config/load';
export * from '../core/control/open-session';
// The Clusters view and the language server's cluster checks take the Kubernetes client
// from here too, so the .vsix carries it once.
export { loadKubeAccess, describeKubeError, KubeConfigError } from '../core/backends/kubernetes/kube-access';
export { ClusterInventory } from '../core/backends/kubernetes/cluster-inventory';
export { kube } from '../core/backends/kubernetes/client';
