/**
 * Thrown for a definition that cannot be used. All problems are collected before throwing
 * so a user fixing a run configuration sees every mistake at once, not one per attempt.
 */
export class FsmDefinitionError extends Error {
  readonly problems: string[];

  constructor(problems: string[], where?: string) {
    const head = `invalid FSM definition${where ? ` in ${where}` : ''}`;
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${head} (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'FsmDefinitionError';
    this.problems = problems;
  }
}
