/**
 * Names end up as xstate state keys, event types, Mermaid labels and YAML keys, so they are
 * kept to a conservative alphabet: no dots (xstate path separator), no `|` or `*` (source
 * patterns), no whitespace.
 */
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Source keywords meaning "every state"; a state may therefore not be called `any`. */
export function isAnyKeyword(s: string): boolean {
  return s === '*' || s === 'any';
}

/**
 * Why `name` is unusable, or undefined when it is fine. Phrased to follow the word "name",
 * e.g. `name is empty`, `name "a b" is not valid (...)`.
 */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, got ${describe(name)}`;
  if (name.length === 0) return 'is empty';
  if (!NAME.test(name)) {
    return `"${name}" is not valid (use letters, digits, "_" and "-", starting with a letter)`;
  }
  return undefined;
}

/** Short description of an unexpected value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** The xstate state a node sits in while `transition` runs (nanorc's naming). */
export function inProgressState(transition: string): string {
  return `${transition}_ing`;
}
