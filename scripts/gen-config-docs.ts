/**
 * Writes docs/run-config.md, the field-by-field reference of the run configuration, from
 * schemas/run-config.schema.json. The schema is the one source of truth (hover reads the
 * same descriptions), so the page is generated, never edited; a unit test fails when the
 * committed page differs from what this produces.
 *
 *   npm run docs
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SCHEMA_FILE = path.resolve(__dirname, '../schemas/run-config.schema.json');
export const DOCS_FILE = path.resolve(__dirname, '../docs/run-config.md');

type Schema = {
  $ref?: string;
  type?: string | string[];
  title?: string;
  description?: string;
  markdownDescription?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  examples?: unknown[];
  pattern?: string;
  patternErrorMessage?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  items?: Schema;
  allOf?: Schema[];
  definitions?: Record<string, Schema>;
};

const TYPE_WORDS: Record<string, string> = { string: 'string', number: 'number', integer: 'integer', boolean: 'boolean', object: 'mapping', array: 'list', null: 'empty' };

export function renderConfigDocs(schema: Schema): string {
  const defs = schema.definitions ?? {};
  const refName = (ref: string) => ref.replace(/^#\/definitions\//, '');
  const deref = (s: Schema): Schema => (s.$ref ? (defs[refName(s.$ref)] ?? {}) : s);
  const link = (name: string) => `[${name}](#${anchor(name)})`;

  // Definitions get a section each, in the order a reader meets them from the top.
  const order: string[] = [];
  const visit = (s: Schema | boolean | undefined): void => {
    if (!s || typeof s !== 'object') return;
    if (s.$ref) {
      const name = refName(s.$ref);
      if (order.includes(name)) return;
      order.push(name);
      visit(defs[name]);
      return;
    }
    for (const p of Object.values(s.properties ?? {})) visit(p);
    visit(s.additionalProperties);
    visit(s.items);
  };
  visit(schema);
  for (const name of Object.keys(defs)) if (!order.includes(name)) order.push(name);

  /** "list of [app](#app)", "mapping of name → [duration](#duration)", "string or number". */
  const typeOf = (s: Schema): string => {
    if (s.$ref) return link(refName(s.$ref));
    const types = ([] as string[]).concat(s.type ?? []);
    const words = types.map((t) => {
      if (t === 'array' && s.items) {
        const inner = typeOf(s.items);
        return `list of ${inner.includes(' or ') ? `(${inner})` : inner}`;
      }
      if (t === 'object' && typeof s.additionalProperties === 'object' && !s.properties) return `mapping of name → ${typeOf(s.additionalProperties)}`;
      return TYPE_WORDS[t] ?? t;
    });
    return words.length ? words.join(' or ') : 'any';
  };

  const facts = (s: Schema, required: boolean): string[] => {
    const target = deref(s);
    const out = [`- **Type:** ${typeOf(s)}`];
    if (required) out.push('- **Required**');
    const dflt = s.default ?? (s.$ref ? undefined : target.default);
    if (dflt !== undefined) out.push(`- **Default:** \`${JSON.stringify(dflt)}\``);
    const own = s.$ref ? s : target;
    if (own.enum) out.push(`- **Allowed values:** ${own.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
    if (own.const !== undefined) out.push(`- **Allowed value:** \`${String(own.const)}\``);
    if (own.pattern) out.push(`- **Form:** matches \`${own.pattern}\`${own.patternErrorMessage ? ` (otherwise: the value ${own.patternErrorMessage})` : ''}`);
    if (own.minimum !== undefined || own.maximum !== undefined) out.push(`- **Range:** ${own.minimum ?? '…'} to ${own.maximum ?? '…'}`);
    if (own.minLength) out.push(`- **Not empty**`);
    if (own.minItems) out.push(`- **At least:** ${own.minItems} ${own.minItems === 1 ? 'entry' : 'entries'}`);
    if (own.propertyNames?.patternErrorMessage) out.push(`- **Keys:** pattern \`${own.propertyNames.pattern}\` (otherwise the key ${own.propertyNames.patternErrorMessage})`);
    return out;
  };

  const text = (s: Schema): string => {
    const md = s.markdownDescription ?? s.description ?? (s.$ref ? (deref(s).markdownDescription ?? deref(s).description) : undefined);
    return md ? `${md.trim()}\n` : '';
  };

  const examples = (s: Schema): string => {
    const list = s.examples ?? deref(s).examples ?? [];
    return list.map((e) => `Example:\n\n\`\`\`yaml\n${typeof e === 'string' ? e : JSON.stringify(e)}\n\`\`\`\n`).join('\n');
  };

  const field = (prefix: string, name: string, s: Schema, required: boolean): string => {
    const parts = [`### \`${prefix}${name}\``, '', ...facts(s, required), '', text(s)];
    const ex = examples(s);
    if (ex) parts.push(ex);
    parts.push(...inline(`${prefix}${name}`, s));
    return parts.join('\n').replace(/\n+$/, '\n');
  };

  /** Fields of schemas written in place rather than referenced, so that every field has an entry. */
  const inline = (at: string, s: Schema): string[] => {
    if (s.$ref) return [];
    const out: string[] = [];
    const req = new Set(s.required ?? []);
    const prefix = at ? `${at}.` : '';
    for (const [name, p] of Object.entries(s.properties ?? {})) out.push(field(prefix, name, p, req.has(name)));
    const extra = s.additionalProperties;
    if (typeof extra === 'object' && !extra.$ref && (extra.description || extra.properties || extra.enum || extra.pattern)) out.push(field(prefix, '<name>', extra, false));
    if (s.items && !s.items.$ref && (s.items.description || s.items.properties || (s.items.items && !s.items.items.$ref))) out.push(field(at, '[]', s.items, false));
    return out;
  };

  const section = (title: string, at: string, s: Schema): string => {
    const parts: string[] = [`## ${title}`, ''];
    parts.push(...facts(s, false), '', text(s));
    const ex = examples(s);
    if (ex) parts.push(ex);
    parts.push(...inline(at, s));
    if (s.additionalProperties === false && s.properties) parts.push('No other keys are allowed.\n');
    for (const rule of s.allOf ?? []) {
      const cond = rule as { if?: { properties?: Record<string, { const?: unknown }> }; then?: { required?: string[] } };
      const [key, when] = Object.entries(cond.if?.properties ?? {})[0] ?? [];
      if (key && when?.const !== undefined && cond.then?.required) parts.push(`When \`${key}\` is \`${String(when.const)}\`, \`${cond.then.required.join('`, `')}\` ${cond.then.required.length === 1 ? 'is' : 'are'} required.\n`);
    }
    return parts.join('\n').replace(/\n+$/, '\n');
  };

  const out: string[] = [
    '<!-- Generated from schemas/run-config.schema.json by scripts/gen-config-docs.ts (npm run docs). Do not edit. -->',
    '',
    `# ${schema.title ?? 'Run configuration'}`,
    '',
    text(schema),
    'Fields are listed by where they appear: the top level first, then every type that a field refers to. ' +
      'A mapping "of name → X" takes keys of your choosing, each with a value of type X.',
    '',
    '## Contents',
    '',
    `- ${link('Top level')}`,
    ...order.map((n) => `- ${link(n)}`),
    '',
    section('Top level', '', schema),
  ];
  for (const name of order) out.push(section(name, name, defs[name]));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** GitHub's heading anchors: lowercase, spaces to '-', punctuation dropped. */
function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

export function readSchema(): Schema {
  return JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Schema;
}

if (require.main === module) {
  fs.mkdirSync(path.dirname(DOCS_FILE), { recursive: true });
  fs.writeFileSync(DOCS_FILE, renderConfigDocs(readSchema()));
  console.log(`wrote ${path.relative(process.cwd(), DOCS_FILE)}`);
}
