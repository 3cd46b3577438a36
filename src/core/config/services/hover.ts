import { isScalar } from 'yaml';
import { expandPlaceholders } from '../../backends/placeholders';
import type { Position, Range } from '../diagnostic';
import { parseRunConfig } from '../load';
import type { AppConfig, RunConfig, SegmentConfig } from '../types';
import { isObj, type ConfigDocument, type PathSegment } from './document';
import { schemaAt } from './schema';
import { ConfigIndex, type TreeEntry } from './symbols';
import { describeTransition, fsmVocabulary } from './vocabulary';

export interface HoverResult {
  /** Markdown. */
  contents: string;
  range: Range;
}

export function hover(doc: ConfigDocument, pos: Position): HoverResult | undefined {
  const offset = doc.offsetAt(pos);
  if (offset === undefined || !doc.doc) return undefined;
  const index = ConfigIndex.of(doc);
  const ref = index.at(offset);
  if (ref) {
    const range = doc.range(ref.start, ref.end);
    if (ref.kind === 'node') {
      const entry = index.entry(ref.name);
      if (entry?.kind === 'app') return { contents: appHover(doc, entry), range };
      if (entry) return { contents: `**segment** \`${entry.name}\`\n\nchildren: ${entry.children.map((c) => `\`${c.name}\``).join(', ') || 'none'}`, range };
    } else if (ref.kind === 'exec') {
      const exec = index.execs.find((e) => e.name === ref.name);
      if (exec) return { contents: `**exec** \`${ref.name}\`\n\n${fence(rawCommand(doc, ref.name).join(' '))}`, range };
    } else {
      const host = index.hosts.find((h) => h.name === ref.name);
      if (host && isScalar(host.value)) return { contents: `**host** \`${ref.name}\` = \`${String(host.value.value)}\``, range };
    }
  }
  const hit = doc.at(offset);
  const r = hit.node?.range;
  if (!r || hit.part === 'inside') return undefined;
  const range = doc.range(r[0], r[1]);
  const key = hit.path[hit.path.length - 1];
  const holder = hit.path[hit.path.length - 2];
  const parts: string[] = [];
  if (hit.part === 'key' && typeof key === 'string') {
    parts.push(`**${key}**`);
    if (holder === 'timeouts' || holder === 'order' || holder === 'commands') {
      const t = describeTransition(fsmVocabulary(doc), key);
      if (t) parts.push(t);
    }
  }
  const doc_ = schemaAt(hit.path)?.doc;
  if (doc_) parts.push(doc_);
  return parts.length > (hit.part === 'key' ? 1 : 0) ? { contents: parts.join('\n\n'), range } : undefined;
}

function fence(text: string): string {
  return `\`\`\`sh\n${text}\n\`\`\``;
}

/** An app as it would be launched: the validated configuration when the file has no errors. */
function appHover(doc: ConfigDocument, entry: TreeEntry): string {
  const resolved = fromRunConfig(doc, entry.name) ?? fromText(doc, entry);
  const port = resolved.port === 0 ? 'auto (picked at boot)' : String(resolved.port);
  const lines = [
    `**app** \`${entry.name}\` — exec \`${resolved.exec}\`, host \`${resolved.host}\`, port ${port}`,
    fence(resolved.argv.map(shellWord).join(' ')),
  ];
  if (resolved.note) lines.push(`_${resolved.note}_`);
  return lines.join('\n\n');
}

interface Resolved {
  exec: string;
  host: string;
  port: number;
  argv: string[];
  note?: string;
}

/** Validating is the expensive part; hovering one app after another reuses the result. */
const configs = new WeakMap<ConfigDocument, RunConfig | null>();

function fromRunConfig(doc: ConfigDocument, name: string): Resolved | undefined {
  let config = configs.get(doc);
  if (config === undefined) {
    try {
      config = parseRunConfig(doc.text);
    } catch {
      config = null;
    }
    configs.set(doc, config);
  }
  if (!config) return undefined;
  const app = findApp(config.root, name);
  const exec = app && config.execs[app.exec];
  if (!app || !exec) return undefined;
  return { exec: app.exec, host: app.host, port: app.port, argv: expand([...exec.command, ...exec.args, ...app.args], app.name, app.host, app.port, config.name) };
}

function findApp(seg: SegmentConfig, name: string): AppConfig | undefined {
  for (const c of seg.children) {
    const found = c.kind === 'app' ? (c.name === name ? c : undefined) : findApp(c, name);
    if (found) return found;
  }
  return undefined;
}

/** While the file has errors, the same answer from the text as written, marked as such. */
function fromText(doc: ConfigDocument, entry: TreeEntry): Resolved {
  const data = doc.data;
  const spec = isObj(data) && isObj(data.spec) ? data.spec : {};
  const session = isObj(data) && isObj(data.metadata) && typeof data.metadata.name === 'string' ? data.metadata.name : '';
  const raw = at(data, entry.path);
  const app = isObj(raw) ? raw : {};
  const exec = typeof app.exec === 'string' ? app.exec : '';
  const hosts = isObj(spec.hosts) ? spec.hosts : {};
  const host = typeof hosts[entry.host] === 'string' ? (hosts[entry.host] as string) : entry.host;
  const port = typeof app.port === 'number' ? app.port : 0;
  const argv = expand([...rawCommand(doc, exec), ...strings(app.args)], entry.name, host, port, session);
  return { exec, host, port, argv, note: 'the file has errors: shown as written, not as validated' };
}

function rawCommand(doc: ConfigDocument, exec: string): string[] {
  const data = doc.data;
  const execs = isObj(data) && isObj(data.spec) && isObj(data.spec.execs) ? data.spec.execs : {};
  const e = Object.prototype.hasOwnProperty.call(execs, exec) && isObj(execs[exec]) ? (execs[exec] as Record<string, unknown>) : {};
  const command = typeof e.command === 'string' ? [e.command] : strings(e.command);
  return [...command, ...strings(e.args)];
}

function at(data: unknown, path: PathSegment[]): unknown {
  let v = data;
  for (const p of path) v = isObj(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function strings(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.map(String) : [];
}

function expand(argv: string[], name: string, host: string, port: number, session: string): string[] {
  const vars = { name, host, port: port === 0 ? '<auto>' : port, session };
  return argv.map((a) => {
    try {
      return expandPlaceholders(a, vars);
    } catch {
      return a;
    }
  });
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./<>-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
