import { RUN_CONFIG_SCHEMA } from '../schema-check';
import type { PathSegment } from './document';

/** A JSON Schema node as the run-config schema writes them; only what the editor reads. */
export interface SchemaNode {
  $ref?: string;
  description?: string;
  markdownDescription?: string;
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
}

const ROOT = RUN_CONFIG_SCHEMA as SchemaNode;

function deref(node: SchemaNode | undefined): SchemaNode | undefined {
  // The schema's refs are all local and one level deep; the bound only guards a cycle.
  for (let i = 0; i < 8 && node?.$ref; i++) {
    const name = node.$ref.replace(/^#\/definitions\//, '');
    node = ((ROOT as { definitions?: Record<string, SchemaNode> }).definitions ?? {})[name];
  }
  return node;
}

/**
 * The schema of the value at a data path, with the text of the property that led there:
 * a `$ref` sitting next to its own description (terminateGrace) documents that use of it.
 */
export function schemaAt(path: readonly PathSegment[]): { schema: SchemaNode; doc?: string } | undefined {
  let node: SchemaNode | undefined = ROOT;
  let doc = describe(ROOT);
  for (const part of path) {
    const here = deref(node);
    if (!here) return undefined;
    let next: SchemaNode | undefined;
    if (typeof part === 'number') next = here.items;
    else next = here.properties?.[part] ?? (typeof here.additionalProperties === 'object' ? here.additionalProperties : undefined);
    if (!next) return undefined;
    doc = describe(next) ?? describe(deref(next));
    node = next;
  }
  const schema = deref(node);
  return schema ? { schema, doc } : undefined;
}

function describe(node: SchemaNode | undefined): string | undefined {
  return node?.markdownDescription ?? node?.description;
}

export function types(schema: SchemaNode): string[] {
  return schema.type === undefined ? [] : ([] as string[]).concat(schema.type);
}

/** True when a value here can only be a mapping, so a bare word typed here starts a key. */
export function wantsMap(schema: SchemaNode | undefined): boolean {
  if (!schema) return false;
  const t = types(schema);
  return t.length === 1 && t[0] === 'object';
}
