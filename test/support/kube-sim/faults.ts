import { ApiError, forbidden, internalError, unavailable, conflict } from './status';
import type { RequestMatch } from './types';

/** Per-request fault rules: queued failures, slow responses, RBAC denials. */

interface FailRule {
  remaining: number;
  code: 409 | 500 | 503 | 403;
  match?: RequestMatch;
}

const matches = (m: RequestMatch | undefined, verb: string, resource: string): boolean => !m || ((!m.verb || m.verb === verb) && (!m.resource || m.resource === resource));

export class RequestFaults {
  private fails: FailRule[] = [];
  private delays: Array<{ ms: number; match?: RequestMatch }> = [];
  private forbidden: Array<{ resource: string; verb?: string }> = [];

  failNext(count: number, code: FailRule['code'], match?: RequestMatch): void {
    if (count > 0) this.fails.push({ remaining: count, code, match });
  }

  delay(ms: number, match?: RequestMatch): void {
    const same = (d: { match?: RequestMatch }): boolean => JSON.stringify(d.match ?? {}) === JSON.stringify(match ?? {});
    this.delays = ms > 0 ? [...this.delays.filter((d) => !same(d)), { ms, match }] : match ? this.delays.filter((d) => !same(d)) : [];
  }

  forbid(resource: string, verb?: string): void {
    this.forbidden.push({ resource, verb });
  }

  delayFor(verb: string, resource: string): number {
    return Math.max(0, ...this.delays.filter((d) => matches(d.match, verb, resource)).map((d) => d.ms));
  }

  /** The error this request must fail with, if any (consumes one queued failure). */
  errorFor(verb: string, resource: string, user: string, namespace: string | undefined, name: string | undefined): ApiError | undefined {
    if (this.forbidden.some((f) => (f.resource === resource || f.resource === resource.split('/')[0]) && (!f.verb || f.verb === verb))) return forbidden(user, verb, resource, namespace, name);
    const rule = this.fails.find((f) => f.remaining > 0 && matches(f.match, verb, resource));
    if (!rule) return undefined;
    rule.remaining--;
    this.fails = this.fails.filter((f) => f.remaining > 0);
    switch (rule.code) {
      case 409:
        return conflict(resource, name ?? '');
      case 500:
        return internalError('simulated failure');
      case 503:
        return unavailable('the server is currently unable to handle the request (simulated)');
      case 403:
        return forbidden(user, verb, resource, namespace, name);
    }
  }
}
