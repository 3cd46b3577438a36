import { badRequest, invalid, unsupportedMediaType } from './status';
import type { KubeObject } from './store';

/**
 * The three PATCH content types of the API server. Strategic merge patch knows the merge
 * keys of the lists in the kinds the simulator serves (containers by name, ports by
 * containerPort/port, ...); other lists are replaced, as for types without patch metadata.
 * Supported directives: `$patch: delete|replace` and `$deleteFromPrimitiveList`;
 * `$setElementOrder` and `$retainKeys` are accepted and ignored.
 */

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  readinessGates: 'conditionType',
  topologySpreadConstraints: 'topologyKey',
  addresses: 'type',
  taints: 'key',
  finalizers: '',
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

function mergeKeyFor(field: string, parentPath: string[]): string | undefined {
  if (field === 'ports') return parentPath.includes('containers') || parentPath.includes('initContainers') ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

function smpList(field: string, target: unknown, patch: unknown[], path: string[]): unknown[] {
  const key = mergeKeyFor(field, path);
  const current = Array.isArray(target) ? [...target] : [];
  if (key === undefined) {
    // atomic list, unless the patch asks to replace explicitly
    return patch.filter((p) => !(isObj(p) && p.$patch === 'replace'));
  }
  if (key === '') {
    // merged list of primitives (finalizers): union
    const out = [...current];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) return patch.filter((p) => !(isObj(p) && p.$patch === 'replace'));
  for (const item of patch) {
    if (!isObj(item)) continue;
    const idx = current.findIndex((c) => isObj(c) && c[key] === item[key]);
    if (item.$patch === 'delete') {
      if (idx >= 0) current.splice(idx, 1);
      continue;
    }
    if (idx >= 0) current[idx] = strategicMergePatch(current[idx], item, [...path, field]);
    else current.push(strategicMergePatch({}, item, [...path, field]));
  }
  return current;
}

export function strategicMergePatch(target: unknown, patch: unknown, path: string[] = []): unknown {
  if (!isObj(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return rest;
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k === '$patch') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = (out[field] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = smpList(k, out[k], v, path);
    else if (isObj(v)) {
      const merged = strategicMergePatch(out[k], v, [...path, k]);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`json patch path "${path}" must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be a list of operations');
  let doc = structuredClone(target);
  for (const op of ops) {
    if (!isObj(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw badRequest('json patch operation needs "op" and "path"');
    const parts = pointer(op.path);
    const get = (p: string[]): unknown => p.reduce<unknown>((cur, k) => (isObj(cur) ? cur[k] : Array.isArray(cur) ? cur[Number(k)] : undefined), doc);
    if (op.op === 'test') {
      if (JSON.stringify(get(parts)) !== JSON.stringify(op.value)) throw invalid('Patch', '', [{ field: op.path, message: 'testing value failed' }]);
      continue;
    }
    if (parts.length === 0) {
      if (op.op === 'add' || op.op === 'replace') doc = structuredClone(op.value);
      continue;
    }
    const parent = get(parts.slice(0, -1));
    const last = parts[parts.length - 1];
    if (!isObj(parent) && !Array.isArray(parent)) throw badRequest(`json patch: no parent for path ${op.path}`);
    const value = op.op === 'copy' || op.op === 'move' ? structuredClone(get(pointer(String(op.from)))) : structuredClone(op.value);
    if (op.op === 'move') {
      const from = pointer(String(op.from));
      const fp = from.slice(0, -1).reduce<unknown>((cur, k) => (isObj(cur) ? cur[k] : Array.isArray(cur) ? cur[Number(k)] : undefined), doc);
      if (Array.isArray(fp)) fp.splice(Number(from[from.length - 1]), 1);
      else if (isObj(fp)) delete fp[from[from.length - 1]];
    }
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'remove') parent.splice(i, 1);
      else if (op.op === 'replace') parent[i] = value;
      else parent.splice(i, 0, value);
    } else if (op.op === 'remove') {
      if (!(last in parent)) throw invalid('Patch', '', [{ field: op.path, message: 'remove operation does not apply: doc is missing path' }]);
      delete parent[last];
    } else parent[last] = value;
  }
  return doc;
}

export function applyPatch(contentType: string, target: KubeObject, body: unknown): KubeObject {
  const type = contentType.split(';')[0].trim();
  switch (type) {
    case 'application/merge-patch+json':
      return jsonMergePatch(target, body);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(target, body);
    case 'application/json-patch+json':
      return jsonPatch(target, body);
    default:
      throw unsupportedMediaType(type);
  }
}
