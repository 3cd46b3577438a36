import type { SegmentConfig, TimeoutTable } from '../config/types';

/**
 * Transitions whose default order is the reverse of another's: stopping undoes starting,
 * so what started last stops first unless the configuration says otherwise.
 */
const REVERSE_OF: Record<string, string> = {
  stop: 'start',
  scrap: 'conf',
  disable_triggers: 'enable_triggers',
  terminate: 'boot',
};

/**
 * The groups in which a segment's children take a transition: groups run one after the
 * other, the children of a group in parallel. Children the order leaves out form a last
 * group, so nothing is silently skipped.
 */
export function groupsFor(segment: SegmentConfig, transition: string, childNames: string[]): string[][] {
  let groups: string[][] | undefined = segment.order[transition];
  if (!groups) {
    const reversed = REVERSE_OF[transition];
    const source = reversed ? segment.order[reversed] : undefined;
    groups = source ? [...source].reverse() : undefined;
  }
  if (!groups) return childNames.length ? [childNames] : [];
  const present = new Set(childNames);
  const listed = new Set<string>();
  const out: string[][] = [];
  for (const g of groups) {
    const kept = g.filter((n) => present.has(n));
    kept.forEach((n) => listed.add(n));
    if (kept.length) out.push(kept);
  }
  const rest = childNames.filter((n) => !listed.has(n));
  if (rest.length) out.push(rest);
  return out;
}

/** Most specific first: the app's own table, then each enclosing segment, then the spec. */
export function timeoutFor(transition: string, tables: TimeoutTable[]): number {
  for (const t of tables) if (t[transition] !== undefined) return t[transition];
  for (const t of tables) if (t.default !== undefined) return t.default;
  return 30_000;
}
