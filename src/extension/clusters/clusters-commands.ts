import { Writable } from 'node:stream';
import * as vscode from 'vscode';
import type { ControlNode } from '../../core/control/tree';
import { UserError, type SessionManager } from '../session-manager';
import type { ClusterElement } from '../views/clusters-model';
import { nodeSelectorSnippet } from '../views/clusters-model';
import type { ClustersCore, ClustersTreeProvider } from '../views/clusters-tree';

export interface ClustersCommandDeps {
  provider: ClustersTreeProvider;
  clustersView: vscode.TreeView<ClusterElement>;
  runControlView: vscode.TreeView<ControlNode>;
  manager: SessionManager;
  core: () => ClustersCore;
  log: vscode.LogOutputChannel;
}

type Handler = (...args: unknown[]) => unknown;

/** Pod logs followed into output channels, one per pod, stopped with the extension. */
class PodLogs implements vscode.Disposable {
  private readonly open = new Map<string, { channel: vscode.OutputChannel; stop: () => void; ended: boolean }>();

  has(key: string): boolean {
    const known = this.open.get(key);
    return known !== undefined && !known.ended;
  }

  show(key: string): boolean {
    const known = this.open.get(key);
    if (!known || known.ended) return false;
    known.channel.show(true);
    return true;
  }

  add(key: string, channel: vscode.OutputChannel, stop: () => void): { ended(): void } {
    const prior = this.open.get(key);
    if (prior && prior.channel !== channel) {
      prior.stop();
      prior.channel.dispose();
    }
    const entry = { channel, stop, ended: false };
    this.open.set(key, entry);
    return { ended: () => (entry.ended = true) };
  }

  channel(key: string, name: string): vscode.OutputChannel {
    return this.open.get(key)?.channel ?? vscode.window.createOutputChannel(name);
  }

  dispose(): void {
    for (const { channel, stop } of this.open.values()) {
      stop();
      channel.dispose();
    }
    this.open.clear();
  }
}

/** The Clusters view's commands, by id. */
export function clustersCommands(d: ClustersCommandDeps): { commands: Record<string, Handler>; disposable: vscode.Disposable } {
  const logs = new PodLogs();
  const commands: Record<string, Handler> = {
    'baton.clusters.switchContext': (arg) => switchContext(d, arg),
    'baton.clusters.refresh': () => d.provider.reset(),
    'baton.clusters.revealPod': (arg) => revealPod(d, arg),
    'baton.clusters.revealApp': (arg) => revealApp(d, arg),
    'baton.clusters.openPodLog': (arg) => openPodLog(d, logs, arg),
    'baton.clusters.copyNodeSelector': (arg, label) => copyNodeSelector(d, arg, typeof label === 'string' ? label : undefined),
  };
  return { commands, disposable: logs };
}

function isElement(x: unknown): x is ClusterElement {
  return typeof x === 'object' && x !== null && 'kind' in x && 'id' in x && typeof (x as ClusterElement).id === 'string';
}

/** Persists `baton.kubernetes.context` (user settings: contexts belong to the user's kubeconfig). */
async function switchContext(d: ClustersCommandDeps, arg: unknown): Promise<string | undefined> {
  let name = typeof arg === 'string' ? arg : isElement(arg) && arg.kind === 'context' ? arg.context : undefined;
  if (!name) {
    const roots = await d.provider.listContexts();
    if (roots.contexts.length === 0) throw new UserError(roots.problem ?? 'The kubeconfig has no contexts.');
    const picked = await vscode.window.showQuickPick(
      roots.contexts.map((c) => ({ label: c, description: [c === d.provider.selectedContext ? 'selected' : '', roots.servers.get(c) ?? ''].filter(Boolean).join(' · ') })),
      { title: 'Kubernetes context for Baton', placeHolder: 'Cluster checks, the Clusters view and new sessions use this context' },
    );
    name = picked?.label;
  }
  if (!name) return undefined;
  await vscode.workspace.getConfiguration('baton').update('kubernetes.context', name, vscode.ConfigurationTarget.Global);
  return name;
}

/** From a Run Control application (or its name): select its pod, or its entry under this machine. */
async function revealPod(d: ClustersCommandDeps, arg: unknown): Promise<ClusterElement> {
  const session = d.manager.requireSession();
  const name = typeof arg === 'string' ? arg : (arg as ControlNode | undefined)?.kind === 'app' ? (arg as ControlNode).name : undefined;
  if (!name || !session.tree.app(name)) throw new UserError('Choose an application of the session (in the Run Control view) to reveal its pod.');
  let target: ClusterElement | undefined;
  if (session.config.backend !== 'kubernetes') {
    target = d.provider.localAppElement(name);
  } else {
    await d.provider.listContexts();
    const context = d.provider.sessionContext();
    if (!context) throw new UserError('No Kubernetes context is selected (Baton: Switch Kubernetes Context).');
    target = await d.provider.findPod(context, (p) => p.session === session.name && p.app === name);
    if (!target) throw new UserError(`No pod of ${name} (session ${session.name}) in context "${context}".`);
  }
  if (!target) throw new UserError(`${name} is not shown in the Clusters view.`);
  d.provider.settle();
  // Expanding the parent first: a pod revealed inside a collapsed node was, now and then, not selected.
  const parent = d.provider.getParent(target);
  if (parent) await d.clustersView.reveal(parent, { select: false, focus: false, expand: true });
  await d.clustersView.reveal(target, { select: true, focus: true, expand: false });
  return target;
}

/** From a pod (or this machine's application): select its application in Run Control. */
async function revealApp(d: ClustersCommandDeps, arg: unknown): Promise<ControlNode> {
  const session = d.manager.requireSession();
  let app: string | undefined;
  if (isElement(arg) && arg.kind === 'localApp') app = arg.app;
  else if (isElement(arg) && arg.kind === 'pod') {
    const found = d.provider.podOf(arg);
    if (found && found.pod.session !== session.name) throw new UserError(`Pod ${found.pod.name} belongs to session ${found.pod.session ?? '(unknown)'}, not to this window's session ${session.name}.`);
    app = found?.pod.app;
  }
  const node = app ? session.tree.app(app) : undefined;
  if (!node) throw new UserError('This pod runs no application of the window\'s session.');
  await d.runControlView.reveal(node, { select: true, focus: true, expand: false });
  return node;
}

/** Follows the pod's log (the log API, like kubectl logs -f) into an output channel. */
async function openPodLog(d: ClustersCommandDeps, logs: PodLogs, arg: unknown): Promise<vscode.OutputChannel> {
  const found = isElement(arg) ? d.provider.podOf(arg) : undefined;
  if (!found) throw new UserError('Choose a pod in the Clusters view to open its log.');
  const { pod, access } = found;
  const key = `${access.context}/${pod.key}`;
  const name = `Baton pod ${pod.namespace}/${pod.name}`;
  const channel = logs.channel(key, name);
  if (logs.show(key)) return channel;
  channel.clear();
  channel.show(true);
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = partial + chunk.toString('utf8');
      const cut = text.lastIndexOf('\n');
      if (cut >= 0) channel.append(text.slice(0, cut + 1));
      partial = text.slice(cut + 1);
      done();
    },
  });
  let controller: AbortController | undefined;
  const entry = logs.add(key, channel, () => controller?.abort());
  const { kube, describeKubeError } = d.core();
  const end = (why: string) => {
    if (partial) channel.append(`${partial}\n`);
    partial = '';
    channel.appendLine(`— ${why} —`);
    entry.ended();
  };
  sink.on('finish', () => end('end of log'));
  try {
    controller = await new (kube().Log)(access.kc).log(pod.namespace, pod.name, pod.containers[0] ?? '', sink, { follow: true, tailLines: 1000 });
  } catch (err) {
    end(describeKubeError(err, `read the log of pod ${pod.namespace}/${pod.name}`, access));
  }
  return channel;
}

/** Copies `nodeSelector: {key: "value"}` for one of the node's labels. */
async function copyNodeSelector(d: ClustersCommandDeps, arg: unknown, label?: string): Promise<string | undefined> {
  const node = isElement(arg) ? d.provider.nodeOf(arg) : undefined;
  if (!node) throw new UserError('Choose a node in the Clusters view to copy one of its labels.');
  const entries = Object.entries(node.labels).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) throw new UserError(`Node ${node.name} has no labels.`);
  let key = label;
  if (key === undefined) {
    const picked = await vscode.window.showQuickPick(
      entries.map(([k, v]) => ({ label: k, description: v })),
      { title: `Copy a label of ${node.name} as a nodeSelector` },
    );
    key = picked?.label;
  }
  if (key === undefined) return undefined;
  if (!(key in node.labels)) throw new UserError(`Node ${node.name} has no label ${key}.`);
  const snippet = nodeSelectorSnippet(key, node.labels[key]);
  await vscode.env.clipboard.writeText(snippet);
  void vscode.window.setStatusBarMessage(`Copied: ${snippet}`, 3000);
  return snippet;
}
