// Start-up shared by run-tests.mjs (mocha inside the extension host) and the end-to-end
// tests (mocha in Node driving the page): a private run folder, code-server on an
// ephemeral loopback port in its own process group, headless Chromium that can reach
// loopback only, and the workbench URL that loads the extension under development.
//
// Low-level pieces are exported for run-tests.mjs, which keeps its own control flow
// (signals, global timeout, result file); `launchWorkbench` composes them for callers
// that just want a page and one `close()`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CACHE_DIR, CHROMIUM, MARKER, codeServerDir } from './paths.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Why the harness cannot run here, or undefined when it can. */
export function setupProblem() {
  if (!existsSync(MARKER)) return `${CACHE_DIR} is not set up. Run: node scripts/vscode-host/setup.mjs`;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found. Install Debian's chromium: apt-get install -y chromium`;
  return undefined;
}

/** playwright-core lives in the cache's own node_modules, not in the project's. */
export function loadPlaywright() {
  const require = createRequire(path.join(CACHE_DIR, 'package.json'));
  return require('playwright-core');
}

export function remoteUri(authority, absPath) {
  return `vscode-remote://${authority}${absPath.split(path.sep).map(encodeURIComponent).join('/')}`;
}

/** The workbench page for a folder, with `[name, value]` payload pairs (extensionDevelopmentPath, ...). */
export function workbenchUrl(baseUrl, folder, payload) {
  const query = `folder=${encodeURIComponent(folder)}`;
  return payload?.length ? `${baseUrl}/?${query}&payload=${encodeURIComponent(JSON.stringify(payload))}` : `${baseUrl}/?${query}`;
}

export function pruneOldRuns(tmpRoot) {
  // Leftovers of crashed or --keep-tmp runs older than a day.
  if (!existsSync(tmpRoot)) return;
  for (const name of readdirSync(tmpRoot)) {
    const p = path.join(tmpRoot, name);
    try {
      if (Date.now() - statSync(p).mtimeMs > 24 * 3600_000) rmSync(p, { recursive: true, force: true });
    } catch {
      // raced with another run
    }
  }
}

/**
 * A fresh folder under `.vscode-test/tmp/` for one code-server: user data (with settings
 * that keep the workbench quiet and offline), extensions, XDG folders, a harness folder,
 * its own code-server.yaml, and an empty workspace when none is given.
 * `trust: true` keeps workspace trust on (Restricted Mode is then possible).
 */
export function prepareRunDir({ prefix = 'run', workspace, trust = false, settings = {} } = {}) {
  const tmpRoot = path.join(CACHE_DIR, 'tmp');
  pruneOldRuns(tmpRoot);
  const runDir = path.join(tmpRoot, `${prefix}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  const dirs = {
    userData: path.join(runDir, 'user-data'),
    extensions: path.join(runDir, 'extensions'),
    xdg: path.join(runDir, 'xdg'),
    harness: path.join(runDir, 'harness'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const ws = workspace ?? path.join(runDir, 'workspace');
  mkdirSync(ws, { recursive: true });
  mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify({
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': trust,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'git.enabled': false,
    ...settings,
  }, null, 2));
  const configYaml = path.join(runDir, 'code-server.yaml');
  writeFileSync(configYaml, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  return { runDir, dirs, workspace: ws, configYaml, trust };
}

/**
 * Starts code-server for a prepared run folder, in its own process group (server, its
 * child and the extension host die together). `ready` resolves with the base URL once the
 * server prints its port, and rejects if it exits first. `onLine` sees every log line.
 */
export function startCodeServer(run, { env: extraEnv = {}, verbose = false, onLine } = {}) {
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(run.dirs.xdg, 'config'),
    XDG_DATA_HOME: path.join(run.dirs.xdg, 'data'),
    // No gallery, telemetry or update endpoint outside this machine.
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item', resourceUrlTemplate: 'http://127.0.0.1:9/asset/{publisher}/{name}/{version}/{path}' }),
    CS_TELEMETRY_URL: 'http://127.0.0.1:9/telemetry',
    CS_DISABLE_GETTING_STARTED_OVERRIDE: '1',
  };
  for (const k of Object.keys(env)) {
    // Inherited from a VS Code terminal, these would confuse the server / extension host.
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k === 'PORT' || k === 'PASSWORD' || k === 'HASHED_PASSWORD') delete env[k];
  }
  Object.assign(env, extraEnv);
  const child = spawn(process.execPath, [
    path.join(codeServerDir(), 'out/node/entry.js'),
    '--config', run.configYaml,
    '--auth', 'none',
    '--bind-addr', '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    ...(run.trust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--disable-proxy',
    '--ignore-last-opened',
    '--user-data-dir', run.dirs.userData,
    '--extensions-dir', run.dirs.extensions,
    ...(verbose ? ['--log', 'trace'] : []),
  ], { cwd: run.workspace, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });

  const log = [];
  let baseUrl = null;
  let resolveReady;
  let rejectReady;
  const ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => {}); // callers that race it need not handle the rejection
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        log.push(line);
        const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\/?/.exec(line);
        if (m && !baseUrl) { baseUrl = m[1]; resolveReady(baseUrl); }
        onLine?.(line);
      }
    });
  }
  child.on('exit', (code, signal) => rejectReady(new Error(`code-server exited (code ${code}, signal ${signal}) before it listened`)));

  const alive = () => child.exitCode === null && child.signalCode === null;
  function kill(signal) {
    if (!alive()) return;
    try {
      process.kill(-child.pid, signal); // the whole process group: server, its child, the extension host
    } catch {
      try { child.kill(signal); } catch { /* gone */ }
    }
  }
  /** SIGTERM to the group, SIGKILL after 3 s, and a last SIGKILL for stragglers in the group. */
  async function stop() {
    if (alive()) {
      const exited = new Promise((r) => child.once('exit', r));
      kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]) === false) kill('SIGKILL');
      // The extension host may linger briefly in the same group; make sure the group is gone.
      await sleep(200);
    }
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* group already gone */ }
  }
  return { child, ready, log, kill, stop, get baseUrl() { return baseUrl; } };
}

/** Headless Chromium that resolves nothing but loopback. Signals are the caller's business. */
export function launchChromium(chromium) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--no-proxy-server',
      // Nothing outside loopback resolves.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
    ],
  });
}

/**
 * A page with the smoke-test driver hooks newer VS Code builds call
 * (`codeAutomationLog`, `codeAutomationExit`); 1.100 already calls the first.
 */
export async function openPage(browser, { viewport = { width: 1440, height: 900 }, verbose = false, say = () => {}, onAutomationExit } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    if (verbose) say(`[automation ${type}] ${JSON.stringify(args)}`);
  });
  await page.exposeFunction('codeAutomationExit', (code) => onAutomationExit?.(code));
  page.on('console', (msg) => { if (verbose) process.stderr.write(`[browser ${msg.type()}] ${msg.text()}\n`); });
  page.on('pageerror', (err) => { if (verbose) process.stderr.write(`[browser pageerror] ${err.message}\n`); });
  return page;
}

export async function closeBrowser(browser) {
  if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
}

/**
 * Everything in one call, for tests that drive the page themselves: code-server on a
 * workspace with the extension under development, Chromium, the workbench loaded.
 * Returns `{page, baseUrl, runDir, workspace, serverLog, open(), close()}`; `close()` tears
 * everything down (also on process exit), and deletes the run folder unless `keepRunDir`.
 * If start-up fails, what was started is torn down before the error is thrown.
 */
export async function launchWorkbench({
  extension, workspace, trust = false, settings = {}, env = {}, viewport = { width: 1400, height: 900 },
  verbose = !!process.env.BATON_E2E_VERBOSE, prefix = 'e2e', timeoutMs = 120_000,
} = {}) {
  const problem = setupProblem();
  if (problem) throw new Error(problem);
  const { chromium } = loadPlaywright();
  const run = prepareRunDir({ prefix, workspace, trust, settings });
  const say = (m) => process.stderr.write(`[vscode-host] ${m}\n`);
  const server = startCodeServer(run, { env, verbose, onLine: verbose ? (l) => process.stderr.write(`[code-server] ${l}\n`) : undefined });
  const onExit = () => server.kill('SIGKILL');
  process.on('exit', onExit);
  let browser;
  let closed = false;
  async function close({ keepRunDir = false } = {}) {
    if (closed) return;
    closed = true;
    await closeBrowser(browser);
    await server.stop();
    process.off('exit', onExit);
    try { writeFileSync(path.join(run.runDir, 'code-server.log'), server.log.join('\n') + '\n'); } catch { /* best effort */ }
    if (!keepRunDir) rmSync(run.runDir, { recursive: true, force: true });
  }
  try {
    let timer;
    const baseUrl = await Promise.race([
      server.ready,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`code-server did not listen within ${timeoutMs} ms`)), timeoutMs); }),
    ]).finally(() => clearTimeout(timer));
    browser = await launchChromium(chromium);
    const page = await openPage(browser, { viewport, verbose, say });
    const authority = new URL(baseUrl).host;
    const url = workbenchUrl(baseUrl, run.workspace, [['extensionDevelopmentPath', remoteUri(authority, path.resolve(extension))]]);
    /** (Re)loads the workbench and waits for it to render. */
    const open = async () => {
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
    };
    await open();
    return { page, baseUrl, url, runDir: run.runDir, workspace: run.workspace, serverLog: server.log, open, close };
  } catch (err) {
    await close({ keepRunDir: true });
    throw new Error(`${err.message} (logs in ${run.runDir})`, { cause: err });
  }
}
