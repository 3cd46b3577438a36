import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Fsm } from '../fsm/fsm';
import { parseDuration } from './duration';
import {
  DEFAULT_GRACE_MS,
  DEFAULT_TIMEOUT_MS,
  type AppConfig,
  type ExecConfig,
  type KubernetesSettings,
  type NodeRule,
  type Placement,
  type PodRule,
  type Toleration,
  type OrderTable,
  type RunConfig,
  type SegmentConfig,
  type SourceLocation,
  type TimeoutTable,
} from './types';
import { analyseRunConfig } from './validate';
import type { PathSegment, YamlIndex } from './yaml-positions';

export interface ConfigProblem extends SourceLocation {
  /** Dotted path of the offending field, e.g. `spec.segments[1].apps[0].port`. */
  field: string;
  message: string;
  /** The validator's diagnostic code, e.g. `unknown-exec`. */
  code?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} (${p.field})`).join('\n'));
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;

export function loadRunConfig(file: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: 1, column: 1, field: '', message: `cannot read file: ${(err as Error).message}` }]);
  }
  return parseRunConfig(text, file);
}

/**
 * The validator is the one judge of a configuration: this refuses exactly when it reports
 * an error, and otherwise builds the controller's view of data the schema has vouched for.
 */
export function parseRunConfig(text: string, file = '<memory>'): RunConfig {
  const { diagnostics, data, index } = analyseRunConfig(text, { file });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !index) {
    throw new ConfigError(
      errors.map((d) => ({ file, line: d.range.start.line + 1, column: d.range.start.character + 1, field: d.field ?? '', message: d.message, code: d.code })),
    );
  }
  return new Builder(index, file).build(data as Obj, text);
}

class Builder {
  private hosts: Obj = {};

  constructor(
    private readonly index: YamlIndex,
    private readonly file: string,
  ) {}

  build(top: Obj, text: string): RunConfig {
    const spec = top.spec as Obj;
    const name = (top.metadata as Obj).name as string;
    this.hosts = (spec.hosts as Obj | undefined) ?? {};
    const execs: Record<string, ExecConfig> = {};
    for (const [execName, raw] of Object.entries(spec.execs as Obj)) execs[execName] = this.exec(execName, raw as Obj);
    const root: SegmentConfig = {
      kind: 'segment',
      name,
      children: [],
      order: order(spec.order),
      timeouts: {},
      where: this.where(['spec']),
    };
    this.children(root, spec, ['spec'], this.host((spec.host as string | undefined) ?? '127.0.0.1'));
    return {
      name,
      backend: (spec.backend as RunConfig['backend'] | undefined) ?? 'local',
      file: path.resolve(this.file),
      text,
      execs,
      // No built-in default here: a front end's default (VS Code's baton.timeouts.default) comes
      // after the configuration's own tables and before DEFAULT_TIMEOUT_MS (see Session).
      timeouts: timeouts(spec.timeouts),
      terminateGraceMs: spec.terminateGrace === undefined ? DEFAULT_GRACE_MS : parseDuration(spec.terminateGrace) ?? DEFAULT_GRACE_MS,
      root,
      fsm: spec.fsm === undefined ? undefined : Fsm.fromData(spec.fsm, `${this.file}: spec.fsm`),
      labels: stringMap((top.metadata as Obj).labels),
      kubernetes: kubernetes(spec.kubernetes as Obj | undefined, name),
    };
  }

  /** spec.hosts names resolve to their address; anything else is an address already. */
  private host(h: string): string {
    const mapped = this.hosts[h];
    return typeof mapped === 'string' ? mapped : h;
  }

  private children(parent: SegmentConfig, raw: Obj, at: PathSegment[], host: string): void {
    ((raw.segments as Obj[] | undefined) ?? []).forEach((s, i) => {
      const p = [...at, 'segments', i];
      const seg: SegmentConfig = { kind: 'segment', name: s.name as string, children: [], order: order(s.order), timeouts: timeouts(s.timeouts), where: this.where(p) };
      this.children(seg, s, p, s.host === undefined ? host : this.host(s.host as string));
      parent.children.push(seg);
    });
    ((raw.apps as Obj[] | undefined) ?? []).forEach((a, i) => parent.children.push(this.app(a, [...at, 'apps', i], host)));
  }

  private app(raw: Obj, at: PathSegment[], host: string): AppConfig {
    const commands: Record<string, Record<string, unknown>> = {};
    for (const [t, data] of Object.entries((raw.commands as Obj | undefined) ?? {})) commands[t] = data as Record<string, unknown>;
    return {
      kind: 'app',
      name: raw.name as string,
      exec: raw.exec as string,
      host: raw.host === undefined ? host : this.host(raw.host as string),
      port: typeof raw.port === 'number' ? raw.port : 0,
      args: strings(raw.args),
      env: env(raw.env),
      timeouts: timeouts(raw.timeouts),
      commands,
      image: raw.image as string | undefined,
      placement: placement(raw.placement as Obj | undefined),
      resources: { requests: stringMap((raw.resources as Obj | undefined)?.requests), limits: stringMap((raw.resources as Obj | undefined)?.limits) },
      mounts: ((raw.mounts as Obj[] | undefined) ?? []).map((m) => ({ hostPath: m.hostPath as string, path: m.path as string, readOnly: m.readOnly === true })),
      privileged: raw.privileged === true,
      hostNetwork: raw.hostNetwork === true,
      preStop: raw.preStop === undefined ? undefined : strings(raw.preStop),
      where: this.where(at),
    };
  }

  private exec(name: string, raw: Obj): ExecConfig {
    return {
      name,
      command: typeof raw.command === 'string' ? [raw.command] : strings(raw.command),
      args: strings(raw.args),
      env: env(raw.env),
      cwd: raw.cwd as string | undefined,
      image: raw.image as string | undefined,
    };
  }

  private where(at: PathSegment[]): SourceLocation {
    const start = this.index.locate(at).key.start;
    return { file: this.file, line: start.line + 1, column: start.character + 1 };
  }
}

function strings(raw: unknown): string[] {
  return ((raw as unknown[] | undefined) ?? []).map(String);
}

function env(raw: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries((raw as Obj | undefined) ?? {}).map(([k, v]) => [k, String(v)]));
}

function timeouts(raw: unknown): TimeoutTable {
  const out: TimeoutTable = {};
  for (const [k, v] of Object.entries((raw as Obj | undefined) ?? {})) out[k] = parseDuration(v) ?? DEFAULT_TIMEOUT_MS;
  return out;
}

function order(raw: unknown): OrderTable {
  const out: OrderTable = {};
  for (const [t, groups] of Object.entries((raw as Obj | undefined) ?? {})) {
    if (groups === 'parallel' || !Array.isArray(groups)) continue;
    out[t] = groups.map((g) => (typeof g === 'string' ? [g] : (g as unknown[]).map(String)));
  }
  return out;
}


function stringMap(raw: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries((raw as Obj | undefined) ?? {}).map(([k, v]) => [k, String(v)]));
}

function kubernetes(raw: Obj | undefined, name: string): KubernetesSettings {
  const k = raw ?? {};
  return {
    context: k.context as string | undefined,
    namespace: (k.namespace as string | undefined) ?? name,
    image: k.image as string | undefined,
    imagePullPolicy: k.imagePullPolicy as KubernetesSettings['imagePullPolicy'],
    imagePullSecrets: strings(k.imagePullSecrets),
    serviceAccount: k.serviceAccount as string | undefined,
    listenerHost: k.listenerHost as string | undefined,
  };
}

function placement(raw: Obj | undefined): Placement {
  const p = raw ?? {};
  const podRules = (list: unknown): PodRule[] =>
    ((list as Obj[] | undefined) ?? []).map((r) => ({ apps: strings(r.apps), strict: r.strict !== false, weight: r.weight as number | undefined, topologyKey: r.topologyKey as string | undefined }));
  return {
    nodeSelector: stringMap(p.nodeSelector),
    nodeAffinity: ((p.nodeAffinity as Obj[] | undefined) ?? []).map((r): NodeRule => ({ key: r.key as string, operator: r.operator as NodeRule['operator'], values: strings(r.values), strict: r.strict !== false, weight: r.weight as number | undefined })),
    affinity: podRules(p.affinity),
    antiAffinity: podRules(p.antiAffinity),
    tolerations: ((p.tolerations as Obj[] | undefined) ?? []).map((t) => ({ ...t }) as Toleration),
  };
}
