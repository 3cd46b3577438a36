import type { CommandReply } from './types';

/** Result of parsing one POST /response body. */
export type ParsedReply = { ok: true; reply: CommandReply } | { ok: false; reason: string };

function parseBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no') return false;
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fromFields(f: Record<string, unknown>): ParsedReply {
  let data: Record<string, unknown> = {};
  if (isRecord(f.data)) {
    data = f.data;
  } else if (typeof f.data === 'string' && f.data.trim().startsWith('{')) {
    try {
      const d: unknown = JSON.parse(f.data);
      if (isRecord(d)) data = d;
    } catch {
      return { ok: false, reason: 'field "data" is not valid JSON' };
    }
  }
  const success = parseBool(f.success);
  if (success === undefined) return { ok: false, reason: 'missing or invalid "success"' };
  const appname = f.appname;
  if (typeof appname !== 'string' || appname === '') return { ok: false, reason: 'missing "appname"' };
  const rawId = data.cmdid ?? f.cmdid;
  if (typeof rawId !== 'string' || rawId === '') return { ok: false, reason: 'missing "data.cmdid"' };
  const result = f.result === undefined || f.result === null ? '' : typeof f.result === 'string' ? f.result : JSON.stringify(f.result);
  if (data.cmdid === undefined) data = { ...data, cmdid: rawId };
  return { ok: true, reply: { success, result, appname, cmdid: rawId, data } };
}

/**
 * Parse a reply body as the applications send it: JSON (whatever the content type says;
 * DUNE's C++ applications send JSON without a JSON content type) or form-encoded fields
 * (success, result, appname, cmdid or data).
 */
export function parseReplyBody(raw: string, contentType: string | undefined): ParsedReply {
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'empty body' };
  if (text.startsWith('{') || text.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
    }
    if (!isRecord(v)) return { ok: false, reason: 'JSON body is not an object' };
    return fromFields(v);
  }
  const form = (contentType ?? '').toLowerCase().includes('application/x-www-form-urlencoded') || /^[\w.-]+=/.test(text);
  if (form) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(text)) fields[k] = v;
    return fromFields(fields);
  }
  return { ok: false, reason: 'body is neither JSON nor form-encoded' };
}
