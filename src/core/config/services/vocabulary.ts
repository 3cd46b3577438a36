import { DEFAULT_FSM } from '../../fsm/default-fsm';
import { Fsm } from '../../fsm/fsm';
import type { FsmDefinition } from '../../fsm/types';
import { isObj, type ConfigDocument } from './document';

/** The state machine's names as a document defines them (or DUNE's default FSM). */
export interface FsmVocabulary {
  transitions: string[];
  sequences: string[];
  states: string[];
  /** The parsed definition, when the custom FSM is readable; for hover text. */
  definition?: FsmDefinition;
}

const cache = new WeakMap<ConfigDocument, FsmVocabulary>();

export function fsmVocabulary(doc: ConfigDocument): FsmVocabulary {
  let v = cache.get(doc);
  if (!v) {
    v = read(doc.data);
    cache.set(doc, v);
  }
  return v;
}

function read(data: unknown): FsmVocabulary {
  const raw = isObj(data) && isObj(data.spec) ? data.spec.fsm : undefined;
  if (raw === undefined) return of(DEFAULT_FSM);
  try {
    return of(Fsm.fromData(raw));
  } catch {
    // A custom FSM being typed is rarely complete: offer whatever names it has so far.
    const fsm = isObj(raw) ? raw : {};
    return { transitions: names(fsm.transitions), sequences: names(fsm.sequences), states: strings(fsm.states) };
  }
}

function of(def: FsmDefinition): FsmVocabulary {
  return { transitions: def.transitions.map((t) => t.name), sequences: def.sequences.map((s) => s.name), states: [...def.states], definition: def };
}

function names(raw: unknown): string[] {
  if (isObj(raw)) return Object.keys(raw);
  if (Array.isArray(raw)) return raw.map((e) => (isObj(e) && typeof e.name === 'string' ? e.name : undefined)).filter((n): n is string => n !== undefined);
  return [];
}

function strings(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.filter((s): s is string => typeof s === 'string') : [];
}

/** One line about a transition or sequence, e.g. "transition conf: initial → configured". */
export function describeTransition(v: FsmVocabulary, name: string): string | undefined {
  const t = v.definition?.transitions.find((x) => x.name === name);
  if (t) {
    const from = Array.isArray(t.source) ? t.source.join(' | ') : t.source;
    return `transition \`${name}\`: ${from} → ${t.dest === '' ? '(stays)' : t.dest}`;
  }
  const s = v.definition?.sequences.find((x) => x.name === name);
  if (s) return `sequence \`${name}\`: ${s.steps.map((st) => (st.optional ? `[${st.transition}]` : st.transition)).join(', ')}`;
  if (name === 'default') return '`default`: applies to every transition not listed';
  if (v.transitions.includes(name)) return `transition \`${name}\``;
  if (v.sequences.includes(name)) return `sequence \`${name}\``;
  return undefined;
}
