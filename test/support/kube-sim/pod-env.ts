import type { KubeObject } from './store';

/**
 * A container's environment and command line as the kubelet builds them: env values
 * from literals and the downward API (fieldRef), then Kubernetes' `$(VAR)` expansion in
 * env values, command and args. ConfigMaps and Secrets are not simulated: a reference to
 * one is a CreateContainerConfigError, as it is on a real node where it does not exist.
 */

export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

/** `$(VAR)` -> value of VAR when defined; `$$(VAR)` -> literal `$(VAR)`; unknown stays as written. */
export function expandVars(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([^)]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && vars.has(name) ? (vars.get(name) as string) : whole;
  });
}

function fieldRef(pod: KubeObject, path: string, podIP: string | undefined, hostIP: string | undefined): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return pod.metadata[m[1]]?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIP ?? '';
    default:
      throw new ContainerConfigError(`unsupported fieldRef path "${path}"`);
  }
}

/** The container's declared variables, in order, each expanded against the ones before it. */
export function containerEnv(pod: KubeObject, container: KubeObject, podIP: string | undefined, hostIP: string | undefined): Map<string, string> {
  const vars = new Map<string, string>();
  for (const e of container.env ?? []) {
    let value: string;
    if (e.valueFrom?.fieldRef) value = fieldRef(pod, e.valueFrom.fieldRef.fieldPath, podIP, hostIP);
    else if (e.valueFrom?.configMapKeyRef) {
      if (e.valueFrom.configMapKeyRef.optional) continue;
      throw new ContainerConfigError(`configmap "${e.valueFrom.configMapKeyRef.name}" not found`);
    } else if (e.valueFrom?.secretKeyRef) {
      if (e.valueFrom.secretKeyRef.optional) continue;
      throw new ContainerConfigError(`secret "${e.valueFrom.secretKeyRef.name}" not found`);
    } else if (e.valueFrom?.resourceFieldRef) {
      const r = e.valueFrom.resourceFieldRef;
      value = String(container.resources?.limits?.[r.resource.replace(/^limits\./, '')] ?? container.resources?.requests?.[r.resource.replace(/^requests\./, '')] ?? '0');
    } else value = expandVars(String(e.value ?? ''), vars);
    vars.set(e.name, value);
  }
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (ref && !ref.optional) throw new ContainerConfigError(`${from.configMapRef ? 'configmap' : 'secret'} "${ref.name}" not found`);
  }
  return vars;
}

export interface ProcessPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * What to execute for a container: `baton-daq-app` (explicitly, or as the entrypoint of a
 * daq-app image) runs the bundled reference application with this Node; any other
 * command runs as given, never through a shell.
 */
export function processPlan(pod: KubeObject, container: KubeObject, podIP: string, hostIP: string, daqApp: string): ProcessPlan {
  const vars = containerEnv(pod, container, podIP, hostIP);
  const command: string[] = (container.command ?? []).map((c: string) => expandVars(c, vars));
  const args: string[] = (container.args ?? []).map((a: string) => expandVars(a, vars));
  if (command.length === 0 && String(container.image).includes('daq-app')) command.push('baton-daq-app');
  if (command.length === 0) throw new ContainerConfigError('no command specified');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOSTNAME: pod.metadata.name,
    ...Object.fromEntries(vars),
  };
  if (command[0] === 'baton-daq-app') return { file: process.execPath, args: [daqApp, ...command.slice(1), ...args], env };
  return { file: command[0], args: [...command.slice(1), ...args], env };
}
