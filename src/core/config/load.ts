import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { Fsm } from '../fsm/fsm';
import type { FsmDefinition } from '../fsm/types';
import { parseDuration } from './duration';
import {
  DEFAULT_GRACE_MS,
  DEFAULT_TIMEOUT_MS,
  type AppConfig,
  type ExecConfig,
  type OrderTable,
  type RunConfig,
  type SegmentConfig,
  type SourceLocation,
  type TimeoutTable,
} from './types';

export interface ConfigProblem extends SourceLocation {
  /** Dotted path of the offending field, e.g. `spec.segments[1].apps[0].port`. */
  field: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} (${p.field})`).join('\n'));
    this.name = 'ConfigError';
  }
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type Obj = Record<string, unknown>;

/**
 * Reads a run configuration. This is the first, strict-but-small reader the controller
 * needs; the language issue layers the JSON Schema and editor diagnostics on top.
 */
export function loadRunConfig(file: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: 1, column: 1, field: '', message: `cannot read file: ${(err as Error).message}` }]);
  }
  return parseRunConfig(text, file);
}

export function parseRunConfig(text: string, file = '<memory>'): RunConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: ConfigProblem[] = [];
  const at = (offset: number | undefined): SourceLocation => {
    const pos = lines.linePos(offset ?? 0);
    return { file, line: pos.line, column: pos.col };
  };
  for (const e of doc.errors) problems.push({ ...at(e.pos[0]), field: '', message: `YAML: ${e.message.split('\n')[0]}` });
  if (problems.length) throw new ConfigError(problems);

  const reader = new Reader(doc, file, at, problems);
  const config = reader.read(text);
  if (problems.length || !config) throw new ConfigError(problems);
  return config;
}

class Reader {
  private readonly appNames = new Map<string, string>();
  private readonly fixedPorts = new Map<string, string>();

  constructor(
    private readonly doc: Document,
    private readonly file: string,
    private readonly at: (offset: number | undefined) => SourceLocation,
    private readonly problems: ConfigProblem[],
  ) {}

  read(text: string): RunConfig | undefined {
    const top = this.doc.toJS({ maxAliasCount: 1000 }) as unknown;
    if (!isObj(top)) {
      this.fail('', 'a run configuration must be a YAML mapping with apiVersion, kind, metadata and spec');
      return undefined;
    }
    if (top.kind !== 'RunConfig') this.fail('kind', `kind must be "RunConfig", got ${JSON.stringify(top.kind)}`);
    if (typeof top.apiVersion !== 'string' || !top.apiVersion.startsWith('baton.dev/')) {
      this.fail('apiVersion', 'apiVersion must be "baton.dev/v1alpha1"');
    }
    const metadata = isObj(top.metadata) ? top.metadata : {};
    const name = metadata.name;
    if (typeof name !== 'string' || !NAME_RE.test(name) || name.length > 63) {
      this.fail('metadata.name', 'metadata.name must be a lowercase DNS label (a-z, 0-9, "-", at most 63 characters): it names the session');
    }
    if (!isObj(top.spec)) {
      this.fail('spec', 'spec is required and must be a mapping');
      return undefined;
    }
    const spec = top.spec;
    const backend = spec.backend ?? 'local';
    if (backend !== 'local' && backend !== 'kubernetes') this.fail('spec.backend', `backend must be "local" or "kubernetes", got ${JSON.stringify(backend)}`);
    const defaultHost = this.str(spec.host, 'spec.host') ?? '127.0.0.1';

    const execs: Record<string, ExecConfig> = {};
    if (!isObj(spec.execs)) this.fail('spec.execs', 'spec.execs must map exec names to {command, args, env}');
    else for (const [execName, raw] of Object.entries(spec.execs)) execs[execName] = this.exec(execName, raw, `spec.execs.${execName}`);

    const timeouts = this.timeouts(spec.timeouts, 'spec.timeouts');
    const grace = spec.terminateGrace === undefined ? DEFAULT_GRACE_MS : this.duration(spec.terminateGrace, 'spec.terminateGrace');

    let fsm: FsmDefinition | undefined;
    if (spec.fsm !== undefined) {
      try {
        fsm = Fsm.fromData(spec.fsm, `${this.file}: spec.fsm`);
        Fsm.compile(fsm);
      } catch (err) {
        this.fail('spec.fsm', (err as Error).message);
      }
    }

    const root: SegmentConfig = {
      kind: 'segment',
      name: typeof name === 'string' ? name : 'root',
      children: [],
      order: this.order(spec.order, 'spec.order'),
      timeouts: {},
      where: this.where('spec'),
    };
    if (!Array.isArray(spec.segments) && !Array.isArray(spec.apps)) this.fail('spec.segments', 'spec.segments (or spec.apps) must list the applications to control');
    this.children(root, spec, 'spec', { host: defaultHost, execs });
    this.checkOrder(root, 'spec');

    return {
      name: root.name,
      backend: backend as RunConfig['backend'],
      file: path.resolve(this.file),
      text,
      execs,
      timeouts: { default: DEFAULT_TIMEOUT_MS, ...timeouts },
      terminateGraceMs: grace ?? DEFAULT_GRACE_MS,
      root,
      fsm,
    };
  }

  private children(parent: SegmentConfig, raw: Obj, field: string, ctx: { host: string; execs: Record<string, ExecConfig> }): void {
    const seen = new Set<string>();
    const add = (child: SegmentConfig | AppConfig, childField: string) => {
      if (seen.has(child.name)) this.fail(`${childField}.name`, `"${child.name}" appears twice in ${parent.name}`);
      seen.add(child.name);
      parent.children.push(child);
    };
    if (raw.segments !== undefined) {
      if (!Array.isArray(raw.segments)) this.fail(`${field}.segments`, 'segments must be a list');
      else raw.segments.forEach((s, i) => {
        const f = `${field}.segments[${i}]`;
        const seg = this.segment(s, f, ctx);
        if (seg) add(seg, f);
      });
    }
    if (raw.apps !== undefined) {
      if (!Array.isArray(raw.apps)) this.fail(`${field}.apps`, 'apps must be a list');
      else raw.apps.forEach((a, i) => {
        const f = `${field}.apps[${i}]`;
        const app = this.app(a, f, ctx);
        if (app) add(app, f);
      });
    }
  }

  private segment(raw: unknown, field: string, ctx: { host: string; execs: Record<string, ExecConfig> }): SegmentConfig | undefined {
    if (!isObj(raw)) return this.fail(field, 'a segment must be a mapping with name and apps/segments');
    const name = this.name(raw.name, `${field}.name`);
    if (!name) return undefined;
    const seg: SegmentConfig = {
      kind: 'segment',
      name,
      children: [],
      order: this.order(raw.order, `${field}.order`),
      timeouts: this.timeouts(raw.timeouts, `${field}.timeouts`),
      where: this.where(field),
    };
    this.children(seg, raw, field, { ...ctx, host: this.str(raw.host, `${field}.host`) ?? ctx.host });
    if (seg.children.length === 0) this.fail(field, `segment "${name}" has no apps or segments`);
    this.checkOrder(seg, field);
    return seg;
  }

  private app(raw: unknown, field: string, ctx: { host: string; execs: Record<string, ExecConfig> }): AppConfig | undefined {
    if (!isObj(raw)) return this.fail(field, 'an app must be a mapping with name, exec and port');
    const name = this.name(raw.name, `${field}.name`);
    if (!name) return undefined;
    const other = this.appNames.get(name);
    if (other) this.fail(`${field}.name`, `application name "${name}" is already used at ${other}; application names must be unique in a run configuration`);
    this.appNames.set(name, field);
    const exec = this.str(raw.exec, `${field}.exec`);
    if (!exec) this.fail(`${field}.exec`, `app "${name}" needs an exec`);
    else if (!ctx.execs[exec]) this.fail(`${field}.exec`, `app "${name}" uses exec "${exec}" which is not defined in spec.execs (known: ${Object.keys(ctx.execs).join(', ') || 'none'})`);
    const host = this.str(raw.host, `${field}.host`) ?? ctx.host;
    let port = 0;
    if (raw.port !== undefined && raw.port !== 'auto') {
      if (typeof raw.port !== 'number' || !Number.isInteger(raw.port) || raw.port < 1 || raw.port > 65535) {
        this.fail(`${field}.port`, `port must be an integer 1-65535 or "auto", got ${JSON.stringify(raw.port)}`);
      } else {
        port = raw.port;
        const key = `${host}:${port}`;
        const clash = this.fixedPorts.get(key);
        if (clash) this.fail(`${field}.port`, `port ${port} on ${host} is also given to ${clash}`);
        this.fixedPorts.set(key, `app "${name}"`);
      }
    }
    const commands: Record<string, Record<string, unknown>> = {};
    if (raw.commands !== undefined) {
      if (!isObj(raw.commands)) this.fail(`${field}.commands`, 'commands must map transition names to command data');
      else for (const [t, data] of Object.entries(raw.commands)) {
        if (!isObj(data)) this.fail(`${field}.commands.${t}`, 'command data must be a mapping');
        else commands[t] = data;
      }
    }
    return {
      kind: 'app',
      name,
      exec: exec ?? '',
      host,
      port,
      args: this.strList(raw.args, `${field}.args`),
      env: this.env(raw.env, `${field}.env`),
      timeouts: this.timeouts(raw.timeouts, `${field}.timeouts`),
      commands,
      where: this.where(field),
    };
  }

  private exec(name: string, raw: unknown, field: string): ExecConfig {
    if (!isObj(raw)) {
      this.fail(field, 'an exec must be a mapping with command, args and env');
      return { name, command: [], args: [], env: {} };
    }
    const command = typeof raw.command === 'string' ? [raw.command] : this.strList(raw.command, `${field}.command`);
    if (command.length === 0) this.fail(`${field}.command`, `exec "${name}" needs a command (a program name or a list: program and leading arguments)`);
    return { name, command, args: this.strList(raw.args, `${field}.args`), env: this.env(raw.env, `${field}.env`), cwd: this.str(raw.cwd, `${field}.cwd`) };
  }

  private env(raw: unknown, field: string): Record<string, string> {
    if (raw === undefined) return {};
    if (!isObj(raw)) {
      this.fail(field, 'env must map variable names to values');
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) this.fail(`${field}.${k}`, `"${k}" is not a valid environment variable name`);
      else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      else this.fail(`${field}.${k}`, 'an environment value must be a string, number or boolean');
    }
    return out;
  }

  private timeouts(raw: unknown, field: string): TimeoutTable {
    if (raw === undefined) return {};
    if (!isObj(raw)) {
      this.fail(field, 'timeouts must map transition names (or "default") to durations such as 30s');
      return {};
    }
    const out: TimeoutTable = {};
    for (const [k, v] of Object.entries(raw)) {
      const ms = this.duration(v, `${field}.${k}`);
      if (ms !== undefined) out[k] = ms;
    }
    return out;
  }

  private duration(raw: unknown, field: string): number | undefined {
    const ms = parseDuration(raw);
    if (ms === undefined || ms <= 0) this.fail(field, `${JSON.stringify(raw)} is not a duration (use e.g. 500ms, 30s, 2m, or a number of seconds)`);
    return ms;
  }

  private order(raw: unknown, field: string): OrderTable {
    if (raw === undefined) return {};
    if (!isObj(raw)) {
      this.fail(field, 'order must map transition names to "parallel" or a list of groups');
      return {};
    }
    const out: OrderTable = {};
    for (const [t, groups] of Object.entries(raw)) {
      if (groups === 'parallel') continue;
      if (!Array.isArray(groups)) {
        this.fail(`${field}.${t}`, 'an order is "parallel" or a list of groups, each a list of child names');
        continue;
      }
      out[t] = groups.map((g, i) => (typeof g === 'string' ? [g] : this.strList(g, `${field}.${t}[${i}]`)));
    }
    return out;
  }

  private checkOrder(seg: SegmentConfig, field: string): void {
    const names = new Set(seg.children.map((c) => c.name));
    for (const [t, groups] of Object.entries(seg.order)) {
      const listed = new Set<string>();
      groups.forEach((g, i) => g.forEach((n) => {
        if (!names.has(n)) this.fail(`${field}.order.${t}[${i}]`, `"${n}" is not a child of ${seg.name} (children: ${[...names].join(', ')})`);
        if (listed.has(n)) this.fail(`${field}.order.${t}[${i}]`, `"${n}" is listed twice in the ${t} order`);
        listed.add(n);
      }));
    }
  }

  private name(raw: unknown, field: string): string | undefined {
    if (typeof raw !== 'string' || !NAME_RE.test(raw)) {
      this.fail(field, `name must be lowercase letters, digits and "-" (got ${JSON.stringify(raw)})`);
      return undefined;
    }
    return raw;
  }

  private str(raw: unknown, field: string): string | undefined {
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string') {
      this.fail(field, `expected a string, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return raw;
  }

  private strList(raw: unknown, field: string): string[] {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) {
      this.fail(field, 'expected a list');
      return [];
    }
    return raw.map((v, i) => {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
      this.fail(`${field}[${i}]`, `expected a string, got ${JSON.stringify(v)}`);
      return '';
    });
  }

  private where(field: string): SourceLocation {
    return this.at(this.offsetOf(field));
  }

  private fail(field: string, message: string): undefined {
    this.problems.push({ ...this.where(field), field, message });
    return undefined;
  }

  /** Finds the YAML key (or list item) a field path names, or its nearest existing parent. */
  private offsetOf(field: string): number | undefined {
    const parts = field.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '');
    let node: unknown = this.doc.contents;
    let offset = (node as YamlNode | null)?.range?.[0];
    for (const part of parts) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === part);
        if (!pair) break;
        offset = (pair.key as YamlNode).range?.[0] ?? offset;
        next = pair.value;
      } else if (isSeq(node)) {
        next = node.items[Number(part)];
        if (!next) break;
        offset = (next as YamlNode).range?.[0] ?? offset;
      } else break;
      node = next;
    }
    return offset;
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
