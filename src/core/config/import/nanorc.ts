/**
 * `baton import nanorc`: turns a nanorc configuration into a `*.baton.yaml` text.
 *
 * Formats read (as nanorc itself reads them; learnt from DUNE-DAQ/nanorc's cfgmgr.py,
 * sshpm.py, treebuilder.py and utils.py, v1 to v5):
 *
 * - A **configuration directory** holding `boot.json`:
 *   - `exec.<profile>` -> `spec.execs.<profile>`: `cmd` (a program name) -> `command`;
 *     `args` -> `args`; `env` -> `env`, merged over boot.json's global `env` (nanorc exports
 *     both, the profile's winning). `getenv`, `getenv:DEFAULT`, `getenv_ifset` are kept as
 *     they are: Baton reads them with nanorc's meaning. `comment` is dropped. The oldest
 *     form, `cmd` as a list of shell lines, becomes `command: [/bin/sh]`, `args: [-c, ...]`.
 *   - nanorc's placeholders become Baton's: `{APP_NAME}` -> `{name}`, `{APP_PORT}` ->
 *     `{port}`, `{APP_HOST}` -> `{host}`, `{DUNEDAQ_PARTITION}` -> `{session}`;
 *     `{CONF_LOC}` -> `file://` + the configuration's data directory; `{APP_WD}` -> `.`.
 *     In args, `{VAR}` naming an env variable (nanorc formats args with the environment,
 *     e.g. `-c {CMD_FAC}`) is replaced by that variable's value when it is a literal.
 *   - `apps.<name>` -> an app of the directory's segment: `exec`, `port`, and `host`
 *     looked up in `hosts-ctrl` (v3+) or `hosts` (older), so the address is written out.
 *   - `hosts-data` resolves `{host}` names in connection URIs of the command data, as
 *     nanorc did before sending it. `response_listener` is dropped (Baton has one per
 *     session); other known-but-unsupported fields (`services`, `rte_script`, `scripts`,
 *     `external_connections`, app `update-env`) and any unknown field give a warning.
 * - Command data: `data/<app>_<cmd>.json` -> that app's `commands.<cmd>` (the restcmd
 *   `{modules: [...]}` object as it is). The app is the longest app name followed by `_`,
 *   so names with `_` work. `init` data is not a Baton transition (DUNE applications read
 *   it at start-up from `--configurationService`): it is left out, with a warning.
 *   nanorc v1's `resume`/`pause` become `enable_triggers`/`disable_triggers`.
 * - nanorc v1's per-command files next to boot.json, `<cmd>.json` =
 *   `{"apps": {app: "data/<file>"}, "order": [apps]}`: the named files are that command's
 *   data, and `order` becomes the segment's `order.<cmd>` (one app per group).
 * - A **top-level file** (`top_level.json` in the directory, or the path of any other
 *   top-level `.json`): `apparatus_id` -> `metadata.name`; every other entry names a
 *   configuration directory (relative to the file) that becomes a segment, or an object
 *   of such entries that becomes a segment of segments; `command_order.<cmd>: [names]`
 *   -> `spec.order.<cmd>` (one per group, in that order). `fsm_conf` gives a warning.
 *
 * Names become DNS labels (nanorc allowed `_` and capitals; Baton's session, segment and
 * app names are Kubernetes names), with a warning for each renamed one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Document, isScalar, isSeq, visit } from 'yaml';

export interface NanorcImport {
  yaml: string;
  warnings: string[];
}

/** Input that cannot be imported; `file` and `field` say where. */
export class NanorcImportError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${file}${field ? `: ${field}` : ''}: ${detail}`);
    this.name = 'NanorcImportError';
  }
}

type Obj = Record<string, unknown>;

interface BatonApp {
  name: string;
  exec: string;
  host: string;
  port: number;
  commands?: Record<string, Obj>;
}

interface BatonSegment {
  name: string;
  apps?: BatonApp[];
  segments?: BatonSegment[];
  order?: Record<string, string[][]>;
}

interface BatonExec {
  command: string[];
  args?: string[];
  env?: Record<string, string>;
}

const BOOT_KNOWN = new Set(['apps', 'exec', 'env', 'hosts', 'hosts-ctrl', 'hosts-data', 'response_listener', 'external_connections', 'services', 'rte_script', 'scripts']);
const BOOT_UNSUPPORTED: Record<string, string> = {
  services: 'nanorc services (e.g. the connection service) are not imported; add them as apps if you need them',
  rte_script: 'Baton does not source a runtime-environment script: put what it sets into the exec env (e.g. PATH, LD_LIBRARY_PATH: getenv)',
  scripts: 'nanorc scripts are not imported',
};
const APP_KNOWN = new Set(['exec', 'host', 'port', 'update-env']);
const EXEC_KNOWN = new Set(['cmd', 'args', 'env', 'comment']);
const TRANSITIONS = new Set(['boot', 'conf', 'start', 'enable_triggers', 'disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop', 'scrap', 'terminate', 'change_rate']);
const RENAMED_COMMANDS: Record<string, string> = { resume: 'enable_triggers', pause: 'disable_triggers' };
/** Files at the top of a configuration directory that nanorc's tools write but nanorc never sends. */
const IGNORED_TOP_FILES = new Set(['boot', 'daqconf_multiru_gen', 'dromap', 'config', 'init', 'top_level']);

/** Reads a nanorc configuration (directory, or top-level JSON file) and writes it as a Baton run configuration. */
export function importNanorc(dir: string): NanorcImport {
  const input = path.resolve(dir);
  const stat = stat0(input);
  const importer = new Importer(stat.isFile() ? path.dirname(input) : input);
  let name: string;
  let segments: BatonSegment[];
  let order: Record<string, string[][]> | undefined;
  const topFile = stat.isFile() ? input : existsSync(path.join(input, 'boot.json')) ? undefined : path.join(input, 'top_level.json');
  if (topFile && !existsSync(topFile)) {
    throw new NanorcImportError(path.join(input, 'boot.json'), '', 'not found: a nanorc configuration directory has a boot.json (or a top_level.json naming configuration directories)');
  }
  if (topFile) {
    const top = importer.readTop(topFile);
    name = top.name;
    segments = top.segments;
    order = top.order;
  } else {
    name = importer.label(path.basename(input), 'configuration name');
    segments = [importer.readConfDir(input, name)];
  }

  const spec: Obj = { backend: 'local', execs: importer.execs, segments };
  if (order && Object.keys(order).length) spec.order = order;
  const config = { apiVersion: 'baton.dev/v1alpha1', kind: 'RunConfig', metadata: { name }, spec };

  const doc = new Document(config);
  // Short lists of scalars (args, order groups) read better inline, as in the README.
  visit(doc, {
    Seq(_key, node) {
      if (node.items.every((i) => isScalar(i)) || node.items.every((i) => isSeq(i) && i.items.every((j) => isScalar(j)))) node.flow = true;
    },
  });
  const header = [
    ` Imported by \`baton import nanorc\` from ${stat.isFile() ? input : input + path.sep}`,
    ' Review it before use: hosts, ports and the environment are as nanorc had them.',
    ...(importer.warnings.length ? [' Import warnings:', ...importer.warnings.map((w) => `   - ${w}`)] : []),
  ];
  doc.commentBefore = header.join('\n');
  return { yaml: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), warnings: importer.warnings };
}

class Importer {
  readonly warnings: string[] = [];
  readonly execs: Record<string, BatonExec> = {};
  private readonly appNames = new Set<string>();

  /** Warnings name files relative to the imported directory: they end up in the YAML header. */
  constructor(private readonly root: string) {}

  private rel(file: string): string {
    return path.relative(this.root, file) || '.';
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** A DNS label for a session, segment or app name. */
  label(raw: string, what: string): string {
    let out = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
    if (out.length > 63) out = out.slice(0, 63).replace(/-+$/, '');
    if (!out) out = 'imported';
    if (out !== raw) this.warn(`${what} "${raw}" renamed to "${out}" (Baton names are lowercase letters, digits and "-")`);
    return out;
  }

  readTop(file: string): { name: string; segments: BatonSegment[]; order?: Record<string, string[][]> } {
    const top = readJsonObject(file);
    const base = path.dirname(file);
    const apparatus = top.apparatus_id;
    if (apparatus !== undefined && typeof apparatus !== 'string') throw new NanorcImportError(file, 'apparatus_id', 'must be a string');
    const name = this.label(apparatus ?? path.basename(file, '.json'), 'apparatus_id');
    if (top.fsm_conf !== undefined) this.warn(`${this.rel(file)}: fsm_conf is not imported; Baton's default FSM is DUNE's (write spec.fsm for another)`);
    const entries = Object.fromEntries(Object.entries(top).filter(([k]) => !['apparatus_id', 'fsm_conf', 'command_order'].includes(k)));
    const { segments, renamed } = this.readTree(entries, base, file, '');
    if (segments.length === 0) throw new NanorcImportError(file, '', 'names no configuration directory');
    let order: Record<string, string[][]> | undefined;
    if (top.command_order !== undefined) {
      if (!isObj(top.command_order)) throw new NanorcImportError(file, 'command_order', 'must map command names to lists of names');
      order = {};
      for (const [cmd, names] of Object.entries(top.command_order)) {
        if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new NanorcImportError(file, `command_order.${cmd}`, 'must be a list of names');
        const t = this.command(cmd, `${this.rel(file)}: command_order`);
        if (!t) continue;
        order[t] = (names as string[]).map((n) => {
          const to = renamed.get(n);
          if (!to) throw new NanorcImportError(file, `command_order.${cmd}`, `"${n}" is not one of the configurations in this file (${[...renamed.keys()].join(', ')})`);
          return [to];
        });
      }
    }
    return { name, segments, order };
  }

  private readTree(entries: Obj, base: string, file: string, field: string): { segments: BatonSegment[]; renamed: Map<string, string> } {
    const segments: BatonSegment[] = [];
    const renamed = new Map<string, string>();
    for (const [key, value] of Object.entries(entries)) {
      const f = field ? `${field}.${key}` : key;
      const segName = this.label(key, 'subsystem');
      renamed.set(key, segName);
      if (typeof value === 'string') {
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !value.startsWith('file://')) {
          this.warn(`${this.rel(file)}: ${f}: "${value}" is in nanorc's configuration service, which cannot be read from here; export it to a directory and import that`);
          continue;
        }
        const confDir = path.resolve(base, value.replace(/^file:\/\//, ''));
        if (!existsSync(path.join(confDir, 'boot.json'))) throw new NanorcImportError(file, f, `"${value}" is not a nanorc configuration directory (no ${path.join(confDir, 'boot.json')})`);
        segments.push(this.readConfDir(confDir, segName));
      } else if (isObj(value)) {
        const inner = this.readTree(value, base, file, f);
        if (inner.segments.length) segments.push({ name: segName, segments: inner.segments });
      } else {
        throw new NanorcImportError(file, f, 'must be a configuration directory (a string) or an object of them');
      }
    }
    return { segments, renamed };
  }

  readConfDir(dir: string, segName: string): BatonSegment {
    const bootFile = path.join(dir, 'boot.json');
    const boot = readJsonObject(bootFile);
    for (const key of Object.keys(boot)) {
      if (!BOOT_KNOWN.has(key)) this.warn(`${this.rel(bootFile)}: unknown field "${key}" ignored`);
      else if (BOOT_UNSUPPORTED[key]) this.warn(`${this.rel(bootFile)}: ${key}: ${BOOT_UNSUPPORTED[key]}`);
    }
    if (Array.isArray(boot.external_connections) && boot.external_connections.length) {
      this.warn(`${this.rel(bootFile)}: external_connections: nanorc exempted these from port offsets; Baton applies none, so nothing to do`);
    }
    if (!isObj(boot.apps) || Object.keys(boot.apps).length === 0) throw new NanorcImportError(bootFile, 'apps', 'must map application names to {exec, host, port}');
    if (!isObj(boot.exec)) throw new NanorcImportError(bootFile, 'exec', 'must map exec profile names to {cmd, args, env}');
    const globalEnv = boot.env === undefined ? {} : isObj(boot.env) ? boot.env : fail(bootFile, 'env', 'must map variable names to values');
    const hostsField = boot['hosts-ctrl'] !== undefined ? 'hosts-ctrl' : 'hosts';
    const hosts = boot[hostsField] === undefined ? {} : isObj(boot[hostsField]) ? (boot[hostsField] as Obj) : fail(bootFile, hostsField, 'must map host names to addresses');
    const hostsData = isObj(boot['hosts-data']) ? (boot['hosts-data'] as Obj) : hosts;

    const execNames = new Map<string, string>();
    for (const [profile, raw] of Object.entries(boot.exec)) {
      execNames.set(profile, this.exec(profile, raw, globalEnv, bootFile, dir));
    }

    const appKeys = Object.keys(boot.apps);
    const data = this.readData(dir, appKeys, hostsData);
    const apps: BatonApp[] = [];
    for (const [appName, raw] of Object.entries(boot.apps)) {
      const f = `apps.${appName}`;
      if (!isObj(raw)) throw new NanorcImportError(bootFile, f, 'must be {exec, host, port}');
      for (const key of Object.keys(raw)) {
        if (key === 'update-env') this.warn(`${this.rel(bootFile)}: ${f}.update-env is not imported; set those variables in an exec env`);
        else if (!APP_KNOWN.has(key)) this.warn(`${this.rel(bootFile)}: ${f}: unknown field "${key}" ignored`);
      }
      if (typeof raw.exec !== 'string') throw new NanorcImportError(bootFile, `${f}.exec`, 'must name an exec profile');
      const exec = execNames.get(raw.exec);
      if (!exec) throw new NanorcImportError(bootFile, `${f}.exec`, `"${raw.exec}" is not an exec profile (known: ${Object.keys(boot.exec).join(', ') || 'none'})`);
      if (typeof raw.host !== 'string') throw new NanorcImportError(bootFile, `${f}.host`, `must name a host of ${hostsField}`);
      const host = hosts[raw.host];
      if (typeof host !== 'string') throw new NanorcImportError(bootFile, `${f}.host`, `"${raw.host}" is not in ${hostsField} (known: ${Object.keys(hosts).join(', ') || 'none'})`);
      if (typeof raw.port !== 'number' || !Number.isInteger(raw.port) || raw.port < 1 || raw.port > 65535) {
        throw new NanorcImportError(bootFile, `${f}.port`, `must be a port number, got ${JSON.stringify(raw.port)}`);
      }
      let name = this.label(appName, `app (in ${segName})`);
      if (this.appNames.has(name)) {
        const unique = `${segName}-${name}`;
        this.warn(`app "${name}" of ${segName} renamed to "${unique}": app names must be unique in a Baton configuration`);
        name = unique;
      }
      this.appNames.add(name);
      const app: BatonApp = { name, exec, host, port: raw.port };
      const commands = data.commands.get(appName);
      if (commands && Object.keys(commands).length) app.commands = commands;
      apps.push(app);
    }

    const segment: BatonSegment = { name: segName, apps };
    const order: Record<string, string[][]> = {};
    for (const [cmd, names] of data.order) {
      order[cmd] = names.map((n) => [apps[appKeys.indexOf(n)].name]);
    }
    if (Object.keys(order).length) segment.order = order;
    return segment;
  }

  /** One exec profile; returns the Baton exec name (renamed if another directory used the name differently). */
  private exec(profile: string, raw: unknown, globalEnv: Obj, bootFile: string, dir: string): string {
    const f = `exec.${profile}`;
    if (!isObj(raw)) throw new NanorcImportError(bootFile, f, 'must be {cmd, args, env}');
    for (const key of Object.keys(raw)) if (!EXEC_KNOWN.has(key)) this.warn(`${this.rel(bootFile)}: ${f}: unknown field "${key}" ignored`);
    const profileEnv = raw.env === undefined ? {} : isObj(raw.env) ? raw.env : fail(bootFile, `${f}.env`, 'must map variable names to values');
    const confLoc = `file://${path.join(dir, 'data')}`;

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...globalEnv, ...profileEnv })) {
      if (v === null || typeof v === 'object') throw new NanorcImportError(bootFile, `${k in profileEnv ? `${f}.env` : 'env'}.${k}`, 'must be a string or a number');
      const value = String(v);
      if (k === 'DUNEDAQ_PARTITION') {
        // nanorc runs one partition per session; Baton's session name plays that role.
        this.warn(`${this.rel(bootFile)}: env.DUNEDAQ_PARTITION ("${value}") set to "{session}", the Baton session name`);
        env[k] = '{session}';
        continue;
      }
      env[k] = this.translate(value, `${this.rel(bootFile)}: ${f}.env.${k}`, { confLoc });
    }

    let command: string[];
    let args: string[] = [];
    if (typeof raw.cmd === 'string' && raw.cmd.trim()) {
      command = raw.cmd.trim().split(/\s+/);
    } else if (Array.isArray(raw.cmd) && raw.cmd.every((l) => typeof l === 'string')) {
      this.warn(`${this.rel(bootFile)}: ${f}.cmd is a list of shell lines: imported as /bin/sh -c; Baton otherwise never uses a shell`);
      command = ['/bin/sh'];
      args = ['-c', (raw.cmd as string[]).map((l) => this.shellLine(l)).join('; ')];
    } else {
      throw new NanorcImportError(bootFile, `${f}.cmd`, 'must be the program to run (a string)');
    }
    if (raw.args !== undefined) {
      if (!Array.isArray(raw.args)) throw new NanorcImportError(bootFile, `${f}.args`, 'must be a list');
      raw.args.forEach((a, i) => {
        if (typeof a !== 'string' && typeof a !== 'number') throw new NanorcImportError(bootFile, `${f}.args[${i}]`, 'must be a string');
        args.push(this.translate(String(a), `${this.rel(bootFile)}: ${f}.args[${i}]`, { confLoc, env }));
      });
    }

    const exec: BatonExec = { command };
    if (args.length) exec.args = args;
    if (Object.keys(env).length) exec.env = env;
    let name = profile;
    if (this.execs[name] && JSON.stringify(this.execs[name]) !== JSON.stringify(exec)) {
      name = `${path.basename(dir)}-${profile}`;
      this.warn(`${this.rel(bootFile)}: exec profile "${profile}" differs from another configuration's; imported as "${name}"`);
    }
    this.execs[name] = exec;
    return name;
  }

  /**
   * Rewrites nanorc's Python-format fields into Baton placeholders. `{{`/`}}` mean the same
   * in both. With `env`, a field naming a variable is replaced by its (translated) value.
   */
  private translate(text: string, where: string, ctx: { confLoc: string; env?: Record<string, string> }): string {
    const fixed: Record<string, string> = { APP_NAME: '{name}', APP_ID: '{name}', APP_PORT: '{port}', APP_HOST: '{host}', DUNEDAQ_PARTITION: '{session}', APP_WD: '.' };
    return text.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, field: string | undefined) => {
      if (field === undefined) return whole;
      const name = field.split(/[:!]/)[0];
      if (name !== field) this.warn(`${where}: format specification in "{${field}}" dropped`);
      if (fixed[name] !== undefined) {
        if (name === 'APP_WD') this.warn(`${where}: {APP_WD} (nanorc's working directory) written as "."; Baton starts applications in the exec's cwd`);
        return fixed[name];
      }
      if (name === 'CONF_LOC') {
        this.warn(`${where}: {CONF_LOC} written as ${ctx.confLoc}; Baton sends command data itself, so this only serves applications that read their init data at start-up`);
        return ctx.confLoc;
      }
      const value = ctx.env?.[name];
      if (value !== undefined && !value.startsWith('getenv')) return value;
      this.warn(
        value !== undefined
          ? `${where}: {${name}} comes from Baton's environment (${value}) when nanorc started the app; Baton cannot put an environment variable into an argument: replace it by hand`
          : `${where}: {${name}} is not a placeholder Baton knows ({name} {host} {port} {session}); replace it by hand`,
      );
      return whole;
    });
  }

  /** nanorc v1 shell lines used ${APP_...} shell variables; other braces must not read as placeholders. */
  private shellLine(line: string): string {
    const fixed: Record<string, string> = { APP_NAME: '{name}', APP_ID: '{name}', APP_PORT: '{port}', APP_HOST: '{host}', APP_WD: '.' };
    return line.replace(/\$\{(\w+)\}|[{}]/g, (whole, name: string | undefined) => {
      if (name === undefined) return whole + whole;
      return fixed[name] ?? `\${{${name}}}`;
    });
  }

  private command(cmd: string, where: string): string | undefined {
    if (cmd === 'init') {
      this.warn(`${where}: init data left out: it is not a Baton transition (DUNE applications read it at start-up through --configurationService)`);
      return undefined;
    }
    const renamed = RENAMED_COMMANDS[cmd];
    if (renamed) {
      this.warn(`${where}: nanorc's "${cmd}" imported as "${renamed}"`);
      return renamed;
    }
    if (!TRANSITIONS.has(cmd)) this.warn(`${where}: "${cmd}" is not a transition of the default FSM; its data is kept and used only if spec.fsm defines it`);
    return cmd;
  }

  /** Command data per app (keyed by nanorc app name) and per-command order, from data/ and v1 command files. */
  private readData(dir: string, appNames: string[], hostsData: Obj): { commands: Map<string, Record<string, Obj>>; order: Map<string, string[]> } {
    const commands = new Map<string, Record<string, Obj>>();
    const order = new Map<string, string[]>();
    const claimed = new Set<string>();
    const byLength = [...appNames].sort((a, b) => b.length - a.length);
    let resolved = 0;
    const put = (app: string, cmd: string, file: string) => {
      const t = this.command(cmd, this.rel(file));
      if (!t) return;
      const data = readJsonObject(file);
      resolved += resolveHosts(data, hostsData);
      const mine = commands.get(app) ?? {};
      mine[t] = data;
      commands.set(app, mine);
    };

    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (!entry.endsWith('.json') || !statSync(full).isFile()) continue;
      const cmd = entry.slice(0, -'.json'.length);
      if (IGNORED_TOP_FILES.has(cmd)) continue;
      const top = readJsonObject(full);
      if (!isObj(top.apps) || !Object.values(top.apps).every((v) => typeof v === 'string')) {
        this.warn(`${this.rel(full)}: not a nanorc command file ({"apps": {app: "data/<file>"}}); ignored`);
        continue;
      }
      for (const [app, ref] of Object.entries(top.apps as Record<string, string>)) {
        if (!appNames.includes(app)) throw new NanorcImportError(full, `apps.${app}`, `"${app}" is not an app of boot.json`);
        const file = path.resolve(dir, ref.endsWith('.json') ? ref : `${ref}.json`);
        if (!existsSync(file)) throw new NanorcImportError(full, `apps.${app}`, `${file} not found`);
        claimed.add(file);
        put(app, cmd, file);
      }
      if (top.order !== undefined) {
        if (!Array.isArray(top.order) || !top.order.every((n) => typeof n === 'string' && appNames.includes(n))) {
          throw new NanorcImportError(full, 'order', `must list apps of boot.json (${appNames.join(', ')})`);
        }
        const t = RENAMED_COMMANDS[cmd] ?? cmd;
        if (t !== 'init') order.set(t, top.order as string[]);
      }
    }

    const dataDir = path.join(dir, 'data');
    if (existsSync(dataDir)) {
      for (const entry of readdirSync(dataDir).sort()) {
        const file = path.join(dataDir, entry);
        if (!entry.endsWith('.json') || claimed.has(file)) continue;
        const stem = entry.slice(0, -'.json'.length);
        const app = byLength.find((a) => stem.startsWith(`${a}_`) && stem.length > a.length + 1);
        if (!app) {
          this.warn(`${this.rel(file)}: does not start with an app of boot.json followed by "_" (${appNames.join(', ')}); ignored`);
          continue;
        }
        put(app, stem.slice(app.length + 1), file);
      }
    }
    if (resolved) this.warn(`${this.rel(dir)}: ${resolved} connection URI(s) had their host names resolved from hosts-data, as nanorc did when it sent them`);
    return { commands, order };
  }
}

/** Replaces `{hostname}` in `uri` fields, recursively; returns how many changed. */
function resolveHosts(data: unknown, hosts: Obj): number {
  let changed = 0;
  if (Array.isArray(data)) for (const d of data) changed += resolveHosts(d, hosts);
  else if (isObj(data)) {
    for (const [k, v] of Object.entries(data)) {
      if (k === 'uri' && typeof v === 'string' && !v.startsWith('queue://')) {
        const out = v.replace(/\{(\w[\w-]*)\}/g, (whole, h: string) => (typeof hosts[h] === 'string' ? (hosts[h] as string) : whole));
        if (out !== v) {
          data[k] = out;
          changed += 1;
        }
      } else changed += resolveHosts(v, hosts);
    }
  }
  return changed;
}

function stat0(file: string) {
  try {
    return statSync(file);
  } catch (err) {
    throw new NanorcImportError(file, '', `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readJsonObject(file: string): Obj {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NanorcImportError(file, '', code === 'ENOENT' ? 'not found' : `cannot read: ${code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new NanorcImportError(file, '', `invalid JSON: ${(err as Error).message}`);
  }
  if (!isObj(value)) throw new NanorcImportError(file, '', 'must hold a JSON object');
  return value;
}

function fail(file: string, field: string, message: string): never {
  throw new NanorcImportError(file, field, message);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
