import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { BatonDiagnostic } from './diagnostic';
import { closest } from './suggestions';
import { fieldOf, type PathSegment, type YamlIndex } from './yaml-positions';

// A require, not an import: tsconfig has no resolveJsonModule, and esbuild inlines either.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const RUN_CONFIG_SCHEMA: Record<string, unknown> = require('../../../schemas/run-config.schema.json');

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    // verbose: the messages need the offending value and the schema node (allowed keys,
    // patternErrorMessage); allUnionTypes: the schema uses ["string","number"] unions.
    const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: 'markdownDescription', schemaType: 'string' });
    ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
    compiled = ajv.compile(RUN_CONFIG_SCHEMA);
  }
  return compiled;
}

type Err = ErrorObject & { propertyName?: string };

export function schemaDiagnostics(data: unknown, index: YamlIndex): BatonDiagnostic[] {
  const validate = validator();
  if (validate(data)) return [];
  const out: BatonDiagnostic[] = [];
  const seen = new Set<string>();
  for (const err of (validate.errors ?? []) as Err[]) {
    const d = describeError(err, index);
    if (!d) continue;
    const key = `${d.code}|${d.field}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

function where(path: PathSegment[]): string {
  return path.length === 0 ? 'the top level' : fieldOf(path);
}

function describeError(err: Err, index: YamlIndex): BatonDiagnostic | undefined {
  const path = pointerToPath(err.instancePath);
  const parent = err.parentSchema as Record<string, unknown> | undefined;
  const diag = (code: string, message: string, at: PathSegment[], part: 'key' | 'value', data?: unknown): BatonDiagnostic => {
    const loc = index.locate(at);
    return { code, severity: 'error', message, range: loc[part], field: fieldOf(at), ...(data === undefined ? {} : { data }) };
  };

  // A property-name failure: the inner error (with propertyName) carries the useful part.
  if (err.keyword === 'propertyNames') return undefined;
  if (err.propertyName !== undefined) {
    const at = [...path, err.propertyName];
    const why = typeof parent?.patternErrorMessage === 'string' ? parent.patternErrorMessage : 'is not allowed here';
    return diag('invalid-key', `"${err.propertyName}" ${why}`, at, 'key');
  }

  switch (err.keyword) {
    case 'if':
      return undefined; // the failing `then` is reported by itself
    case 'additionalProperty':
    case 'additionalProperties': {
      const key = String((err.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((parent?.properties as Record<string, unknown>) ?? {});
      const suggestion = closest(key, allowed);
      const hint = suggestion ? `; did you mean "${suggestion}"?` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
      return diag('unknown-key', `unknown key "${key}" in ${where(path)}${hint}`, [...path, key], 'key', suggestion ? { suggestion, allowed } : { allowed });
    }
    case 'required': {
      const missing = String((err.params as { missingProperty: string }).missingProperty);
      const what = path.length === 0 ? `a run configuration needs "${missing}" (apiVersion, kind, metadata and spec)` : `${where(path)} needs "${missing}"`;
      return diag('missing-key', what, path, 'key', { missing });
    }
    case 'type': {
      const wanted = ([] as string[]).concat((err.params as { type: string | string[] }).type);
      if (path.length === 0) return diag('wrong-type', `a run configuration must be a YAML mapping with apiVersion, kind, metadata and spec, not ${kindOf(err.data)}`, path, 'value');
      // Values with a described form (ports, durations, ...) say what the form is.
      if (typeof parent?.patternErrorMessage === 'string') return diag('wrong-type', `${shortValue(err.data)} ${parent.patternErrorMessage}`, path, 'value');
      return diag('wrong-type', `${where(path)} must be ${humanTypes(wanted)}, not ${kindOf(err.data)}`, path, 'value');
    }
    case 'enum':
    case 'const': {
      const allowed = (err.keyword === 'enum' ? (err.params as { allowedValues: unknown[] }).allowedValues : [(err.params as { allowedValue: unknown }).allowedValue]).map(String);
      const suggestion = typeof err.data === 'string' ? closest(err.data, allowed) : undefined;
      const hint = suggestion ? `; did you mean "${suggestion}"?` : '';
      return diag('invalid-value', `${JSON.stringify(err.data)} is not a valid ${where(path)} (allowed: ${allowed.join(', ')})${hint}`, path, 'value', suggestion ? { suggestion, allowed } : { allowed });
    }
    case 'pattern': {
      const why = typeof parent?.patternErrorMessage === 'string' ? parent.patternErrorMessage : `does not have the form ${where(path)} needs`;
      return diag('invalid-value', `${shortValue(err.data)} ${why}`, path, 'value');
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = err.params as { comparison: string; limit: number };
      return diag('out-of-range', `${where(path)} must be ${comparison} ${limit}, got ${JSON.stringify(err.data)}`, path, 'value');
    }
    case 'minLength':
      return diag('invalid-value', `${where(path)} must not be empty`, path, 'value');
    case 'minItems': {
      const limit = (err.params as { limit: number }).limit;
      return diag('invalid-value', `${where(path)} needs at least ${limit} ${limit === 1 ? 'entry' : 'entries'}`, path, 'value');
    }
    default:
      return diag('schema-violation', `${where(path)} ${err.message ?? 'is not valid'}`, path, 'value');
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'empty',
};

function humanTypes(types: string[]): string {
  const words = types.map((t) => TYPE_WORDS[t] ?? t);
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function shortValue(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return v.length > 40 ? 'a string' : `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v).slice(0, 40)}`;
}
