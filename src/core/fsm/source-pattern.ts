import { isAnyKeyword, nameProblem } from './names';

export type SourceSpec = { any: true } | { any: false; states: string[] };

export type ParsedSource = { ok: true; spec: SourceSpec } | { ok: false; problems: string[] };

/**
 * Parses a transition source as drunc writes it: a state name, a `a|b` pattern, `*` / `any`,
 * or a list of state names. Whether the names are declared states is checked by the caller,
 * which knows the state list; this only checks the shape.
 */
export function parseSource(source: unknown): ParsedSource {
  if (typeof source === 'string') return parsePattern(source);
  if (Array.isArray(source)) return parseList(source);
  return {
    ok: false,
    problems: ['source must be a state name, an "a|b" pattern, "*", or a list of state names'],
  };
}

function parsePattern(pattern: string): ParsedSource {
  const trimmed = pattern.trim();
  if (trimmed.length === 0) return { ok: false, problems: ['source is empty'] };
  if (isAnyKeyword(trimmed)) return { ok: true, spec: { any: true } };
  const problems: string[] = [];
  const states: string[] = [];
  for (const raw of trimmed.split('|')) {
    const alt = raw.trim();
    if (alt.length === 0) {
      problems.push(`source pattern "${pattern}" has an empty alternative`);
    } else if (isAnyKeyword(alt)) {
      problems.push(`source pattern "${pattern}": "${alt}" (any state) must be the whole source`);
    } else {
      const bad = nameProblem(alt);
      if (bad) problems.push(`source pattern "${pattern}": name ${bad}`);
      else if (!states.includes(alt)) states.push(alt);
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, spec: { any: false, states } };
}

function parseList(list: unknown[]): ParsedSource {
  if (list.length === 0) return { ok: false, problems: ['source list is empty'] };
  // A YAML author writing `source: ["*"]` clearly means "any"; accept it.
  if (list.length === 1 && typeof list[0] === 'string' && isAnyKeyword(list[0])) {
    return { ok: true, spec: { any: true } };
  }
  const problems: string[] = [];
  const states: string[] = [];
  list.forEach((entry, i) => {
    if (typeof entry === 'string' && isAnyKeyword(entry)) {
      problems.push(`source list entry ${i + 1}: "${entry}" (any state) must be the whole source`);
      return;
    }
    const bad = nameProblem(entry);
    if (bad) problems.push(`source list entry ${i + 1}: name ${bad}`);
    else if (!states.includes(entry as string)) states.push(entry as string);
  });
  return problems.length ? { ok: false, problems } : { ok: true, spec: { any: false, states } };
}
