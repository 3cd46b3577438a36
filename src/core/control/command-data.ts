import type { RestCommand } from '../protocol/types';

export type RunType = 'TEST' | 'PROD';

/** Parameters an operator gives to a transition or sequence. */
export interface TransitionArgs {
  runNumber?: number;
  runType?: RunType;
  triggerRate?: number;
  disableDataStorage?: boolean;
  /** For include/exclude: the resource the applications should add or drop. */
  resourceName?: string;
  /** Overrides every configured timeout of this transition. */
  timeoutMs?: number;
}

type ModuleList = Array<{ match: string; data: Record<string, unknown> }>;

/** The module data rcif defines for a transition, from the operator's arguments. */
export function baseModuleData(transition: string, args: TransitionArgs & { runNumber?: number }): Record<string, unknown> {
  switch (transition) {
    case 'start':
      return {
        run: args.runNumber,
        disable_data_storage: args.disableDataStorage ?? false,
        production_vs_test: args.runType ?? 'TEST',
        ...(args.triggerRate !== undefined ? { trigger_rate: args.triggerRate } : {}),
      };
    case 'change_rate':
      return args.triggerRate !== undefined ? { trigger_rate: args.triggerRate } : {};
    case 'include':
    case 'exclude':
      return args.resourceName !== undefined ? { resource_name: args.resourceName } : {};
    default:
      return {};
  }
}

/**
 * Builds the restcmd command for one application: the transition's base data merged with
 * the application's configured command data (its modules' data win over the defaults for
 * keys they set, so per-app conf data and run parameters coexist).
 */
export function buildCommand(
  transition: string,
  base: Record<string, unknown>,
  configured: Record<string, unknown> | undefined,
  entryState: string | undefined,
  exitState: string | undefined,
): RestCommand {
  let modules: ModuleList = [{ match: '', data: base }];
  let extra: Record<string, unknown> = {};
  if (configured) {
    const { modules: cfgModules, ...rest } = configured;
    extra = rest;
    if (Array.isArray(cfgModules)) {
      modules = (cfgModules as ModuleList).map((m) => ({ match: typeof m?.match === 'string' ? m.match : '', data: { ...base, ...(m?.data ?? {}) } }));
    }
  }
  const cmd: RestCommand = { id: transition, data: { ...extra, modules } };
  if (entryState) cmd.entry_state = entryState.toUpperCase();
  if (exitState) cmd.exit_state = exitState.toUpperCase();
  return cmd;
}
