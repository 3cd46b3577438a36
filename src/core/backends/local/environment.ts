/**
 * The environment of a local application, built with nanorc's semantics.
 *
 * Nothing is inherited from Baton's own environment: the application gets exactly what
 * the configuration says, so that a run behaves the same whoever (or whatever editor)
 * started Baton. Consequently a configuration must pass what the application needs from
 * the outside explicitly, most often `PATH: getenv` (and perhaps `HOME: getenv`,
 * `LD_LIBRARY_PATH: getenv_ifset`). Without PATH, executables are searched in the
 * system's default path only.
 *
 * Values:
 *  - `getenv`          copy the variable of the same name from Baton's environment;
 *                      an error if it is not set there.
 *  - `getenv:DEFAULT`  copy it if set, else use DEFAULT (which may be empty).
 *  - `getenv_ifset`    copy it if set, else leave the variable out.
 *  - anything else     a literal value. Placeholders ({name}, {port}, ...) are expanded
 *                      later by the process manager, which knows the allocated port.
 */
export function buildEnvironment(
  spec: Record<string, string>,
  parent: NodeJS.ProcessEnv,
  where?: string,
): Record<string, string> {
  const prefix = where ? `${where}: ` : '';
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec)) {
    if (name === '' || name.includes('=') || name.includes('\0')) {
      throw new Error(`${prefix}invalid environment variable name ${JSON.stringify(name)}`);
    }
    if (typeof value !== 'string') {
      throw new Error(`${prefix}environment variable ${name} must be a string, got ${typeof value}`);
    }
    const inherited = parent[name];
    if (value === 'getenv') {
      if (inherited === undefined) {
        throw new Error(`${prefix}environment variable ${name} is set to "getenv" but ${name} is not set in Baton's environment`);
      }
      env[name] = inherited;
    } else if (value.startsWith('getenv:')) {
      env[name] = inherited ?? value.slice('getenv:'.length);
    } else if (value === 'getenv_ifset') {
      if (inherited !== undefined) env[name] = inherited;
    } else {
      env[name] = value;
    }
    if (env[name]?.includes('\0')) {
      throw new Error(`${prefix}environment variable ${name} contains a NUL character`);
    }
  }
  return env;
}
