import { formatDuration } from '../core/config/duration';
import type { SessionEvent } from '../core/control/events';
import type { Session } from '../core/control/session';
import type { ControlNode } from '../core/control/tree';

const COLOURS: Record<string, string> = {
  none: '90',
  initial: '37',
  configured: '36',
  ready: '33',
  running: '32',
  error: '31',
  mixed: '35',
  excluded: '90',
};
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Output {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/**
 * Terminal front end of a session: on a TTY a live tree redrawn at most ten times a second;
 * elsewhere one line per transition and per problem, so logs stay readable.
 */
export class LiveView {
  private drawnLines = 0;
  private timer?: NodeJS.Timeout;
  private frame = 0;
  private readonly unsubscribe: () => void;

  constructor(private readonly session: Session, private readonly out: Output, private readonly colour = out.isTTY ?? false) {
    this.unsubscribe = session.events.subscribe((e) => this.onEvent(e));
  }

  dispose(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    if (this.out.isTTY) {
      this.erase();
      this.draw();
    }
  }

  /** Writes a line above the live tree without tearing it. */
  print(line: string): void {
    if (this.out.isTTY) this.erase();
    this.out.write(`${line}\n`);
    if (this.out.isTTY) this.draw();
  }

  private onEvent(e: SessionEvent): void {
    if (this.out.isTTY) {
      if (e.type === 'transition' && e.phase === 'finished') this.print(this.transitionLine(e.name, e.report?.ok ?? true, e.report?.durationMs ?? 0, e.done, e.total));
      else if (e.type === 'error') this.print(this.paint('31', `✗ ${e.path}: ${e.message}`));
      else if (e.type === 'run') this.print(`run ${e.number} (${e.runType}) ${e.phase}${e.outcome ? `: ${e.outcome}` : ''}`);
      else if (e.type === 'sequence' && e.phase === 'skipped') this.print(this.paint('90', `  ${e.name}: ${e.step} skipped (not needed from ${this.session.state})`));
      else this.schedule();
      return;
    }
    if (e.type === 'transition' && e.phase === 'started') this.out.write(`${e.name}${e.path ? ` on ${e.path}` : ''}: ${e.total} applications\n`);
    else if (e.type === 'transition' && e.phase === 'finished') this.out.write(`${this.transitionLine(e.name, e.report?.ok ?? true, e.report?.durationMs ?? 0, e.done, e.total)} -> ${this.session.describeState()}\n`);
    else if (e.type === 'error') this.out.write(`error: ${e.path}: ${e.message}\n`);
    else if (e.type === 'run') this.out.write(`run ${e.number} (${e.runType}) ${e.phase}${e.outcome ? `: ${e.outcome}` : ''}\n`);
    else if (e.type === 'sequence' && e.phase === 'skipped') this.out.write(`${e.name}: ${e.step} skipped\n`);
    else if (e.type === 'log' && (e.level === 'warn' || e.level === 'error')) this.out.write(`${e.level}: ${e.message}\n`);
  }

  private transitionLine(name: string, ok: boolean, ms: number, done: number, total: number): string {
    const mark = ok ? this.paint('32', '✓') : this.paint('31', '✗');
    return `${mark} ${name} ${done}/${total} in ${formatDuration(ms)}`;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.frame++;
      this.erase();
      this.draw();
    }, 100);
  }

  private erase(): void {
    if (this.drawnLines) this.out.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    const lines = this.render();
    this.out.write(lines.map((l) => `${l}\n`).join(''));
    this.drawnLines = lines.length;
  }

  /** The tree; segments only when every application would not fit on the screen. */
  render(): string[] {
    const rows = Math.max(8, (this.out.rows || 40) - 6);
    const all = [...this.session.tree.walk()];
    const compact = all.length > rows;
    const lines: string[] = [];
    const walk = (node: ControlNode, depth: number) => {
      if (compact && node.kind === 'app') return;
      lines.push(this.line(node, depth));
      if (node.kind !== 'app') node.children.forEach((c) => walk(c, depth + 1));
    };
    walk(this.session.tree.root, 0);
    if (compact) lines.push(this.paint('90', `(${this.session.tree.apps.length} applications: segments shown; use --json or baton status for each one)`));
    return lines;
  }

  private line(node: ControlNode, depth: number): string {
    const width = 28;
    const name = `${'  '.repeat(depth)}${node.kind === 'root' ? `session ${node.name}` : node.name}`;
    const excluded = !node.included;
    let state = excluded ? 'excluded' : node.state;
    if (node.kind !== 'app' && !excluded && state === 'mixed') state = this.session.describeState(node);
    let extra = '';
    if (node.transition) {
      const t = node.transition;
      const count = node.kind === 'app' ? '' : ` ${t.done}/${t.total}`;
      extra = ` ${SPINNER[this.frame % SPINNER.length]} ${t.name}${count} ${formatDuration(Date.now() - t.startedAt)}`;
    }
    if (node.kind === 'app' && node.process?.pid && node.process.alive) extra += this.paint('90', ` pid ${node.process.pid} :${node.endpoint.port}`);
    if (node.error) extra += this.paint('31', ` ${node.error.message}`);
    return `${name.padEnd(width)} ${this.paint(COLOURS[node.state] ?? '37', state.padEnd(12))}${extra}`;
  }

  private paint(code: string, text: string): string {
    return this.colour ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}
