import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeAction, CompletionItem, Diagnostic, DocumentSymbol, Hover, Location, MarkupContent } from 'vscode-languageserver-protocol';
import { cursor, LspClient, posOf, prng, ROOT } from './lsp-client';

const BROKEN = fs.readFileSync(path.join(__dirname, 'fixtures', 'broken.baton.yaml'), 'utf8');
const URI = 'file:///work/coldbox.baton.yaml';

const labels = (items: CompletionItem[] | null) => (items ?? []).map((i) => i.label);
const codes = (ds: Diagnostic[]) => ds.map((d) => String(d.code)).sort();

/** The server as an editor runs it: a child process speaking LSP on stdio. */
describe('language server over stdio (dist/server.js)', function () {
  let client: LspClient;

  before(function () {
    this.timeout(60_000);
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  });

  beforeEach(async () => {
    client = LspClient.spawn();
    await client.initialize();
  });

  afterEach(async () => {
    await client.dispose();
  });

  it('announces its capabilities', async () => {
    const again = LspClient.spawn();
    try {
      const { capabilities } = await again.initialize();
      assert.equal(capabilities.textDocumentSync && typeof capabilities.textDocumentSync === 'object' && capabilities.textDocumentSync.change, 2);
      for (const c of ['hoverProvider', 'definitionProvider', 'referencesProvider', 'documentSymbolProvider'] as const) assert.equal(capabilities[c], true, c);
      assert.ok(capabilities.completionProvider);
      assert.deepEqual((capabilities.codeActionProvider as { codeActionKinds: string[] }).codeActionKinds, ['quickfix']);
    } finally {
      await again.dispose();
    }
  });

  it('publishes the validator diagnostics with codes, ranges, severity, source and fix data', async () => {
    await client.open(URI, BROKEN);
    const { diagnostics, version } = await client.diagnostics(URI);
    assert.equal(version, 1);
    assert.deepEqual(codes(diagnostics), ['duplicate-name', 'order-missing-children', 'port-collision', 'underscore-in-name', 'unknown-exec', 'unknown-key']);
    const unknown = diagnostics.find((d) => d.code === 'unknown-key')!;
    assert.deepEqual(unknown.range, { start: posOf(BROKEN, 'timeout:'), end: posOf(BROKEN, 'timeout:', 7) });
    assert.equal(unknown.severity, 1);
    assert.equal(unknown.source, 'baton');
    assert.equal((unknown.data as { suggestion: string }).suggestion, 'timeouts');
    const missing = diagnostics.find((d) => d.code === 'order-missing-children')!;
    assert.equal(missing.severity, 2);
    assert.deepEqual(missing.data, { missing: ['readout'] });
    assert.deepEqual(diagnostics.find((d) => d.code === 'unknown-exec')!.range.start, posOf(BROKEN, 'daq-ap,'));
  });

  it('clears the diagnostics when an edit fixes the file, and when the file is closed', async () => {
    await client.open(URI, 'apiVersion: baton.dev/v1alpha1\nkind: RunConfg\n');
    const first = await client.diagnostics(URI);
    assert.ok(first.diagnostics.length > 0);
    const good = BROKEN.replace('timeout:', 'timeouts:')
      .replace('daq-ap,', 'daq-app,')
      .replace('df-02, exec: daq-app, port: 3401', 'df-02, exec: daq-app, port: 3403')
      .replace('ru_apa1', 'ru-apa1')
      .replace('- name: df-01\n', '- name: df-03\n')
      .replace('[[dataflow]]', '[[dataflow], [readout]]');
    const version = await client.change(URI, [{ text: good }]);
    const fixed = await client.diagnostics(URI, (p) => p.version === version);
    assert.deepEqual(fixed.diagnostics, []);
    const before = client.published.length;
    await client.change(URI, [{ range: { start: posOf(good, 'RunConfig'), end: posOf(good, 'RunConfig', 9) }, text: 'RunConfg' }]);
    await client.close(URI);
    const closed = await client.diagnostics(URI, (p) => p.diagnostics.length === 0, before);
    assert.equal(closed.version, undefined);
  });

  it('publishes for the newest version only when edits arrive faster than the debounce', async () => {
    await client.open(URI, BROKEN);
    let version = 1;
    for (let i = 0; i < 5; i++) version = await client.change(URI, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: `# edit ${i}\n` }]);
    const last = await client.diagnostics(URI, (p) => p.version === version);
    assert.equal(last.diagnostics.length, 6);
    // Versions only ever go forward: a superseded validation is never published late.
    const versions = client.published.filter((p) => p.uri === URI).map((p) => p.version ?? 0);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
  });

  it('repairs the file with its quick fixes, one diagnostic at a time', async () => {
    await client.open(URI, BROKEN);
    let published = await client.diagnostics(URI);
    const titles: string[] = [];
    for (let round = 0; round < 10 && published.diagnostics.length > 0; round++) {
      const d = published.diagnostics[0];
      const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: URI }, range: d.range, context: { diagnostics: [d], only: ['quickfix'] } });
      assert.equal(actions.length, 1, `one fix for ${String(d.code)}`);
      assert.equal(actions[0].kind, 'quickfix');
      assert.deepEqual(actions[0].diagnostics, [d]);
      titles.push(actions[0].title);
      const edits = actions[0].edit!.changes![URI];
      // Applied back to front so earlier ranges stay valid, as an editor does.
      const sorted = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
      const version = await client.change(URI, sorted.map((e) => ({ range: e.range, text: e.newText })));
      published = await client.diagnostics(URI, (p) => p.version === version);
    }
    assert.deepEqual(published.diagnostics, []);
    assert.deepEqual(titles, ['Change to "timeouts"', 'Change to "daq-app"', 'Use free port 3403', 'Rename to "ru-apa1"', 'Rename to "df-03"', 'Add readout to the start order']);
    const text = client.docs.get(URI)!.getText();
    assert.match(text, /^ {2}timeouts: \{default: 30s\}$/m);
    assert.match(text, /\{name: df-02, exec: daq-app, port: 3403\}/);
    assert.match(text, /start: \[\[dataflow\], readout\]/);
    assert.match(text, /^# Every problem here/, 'comments survive');
  });

  it('completes keys, exec names, child names, transitions and enum values', async () => {
    const at = async (marked: string) => {
      const { text, pos } = cursor(marked);
      const uri = `file:///work/c${client.docs.size}.baton.yaml`;
      await client.open(uri, text);
      return client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: pos });
    };
    assert.deepEqual(labels(await at(BROKEN.replace('exec: daq-ap,', 'exec: §'))), ['daq-app']);
    const key = await at(BROKEN.replace('          exec: daq-app\n          port: 3402', '          exec: daq-app\n          po§'));
    assert.ok(labels(key).includes('port'));
    assert.ok(!labels(key).includes('exec'), 'keys already present are not offered');
    assert.deepEqual(key.find((i) => i.label === 'port')!.textEdit, { range: { start: posOf(BROKEN, 'port: 3402'), end: posOf(BROKEN, 'port: 3402', 2) }, newText: 'port: ' });
    assert.deepEqual(labels(await at(BROKEN.replace('[[dataflow]]', '[[dataflow], [§]]'))), ['readout']);
    const timeouts = labels(await at(BROKEN.replace('timeout: {default: 30s}', 'timeouts:\n    default: 30s\n    §')));
    assert.ok(timeouts.includes('boot') && timeouts.includes('conf') && timeouts.includes('start_run'));
    assert.ok(!timeouts.includes('default'));
    assert.deepEqual(labels(await at(BROKEN.replace('  timeout: {default: 30s}\n', '  backend: §\n'))), ['local', 'kubernetes']);
    const spec = labels(await at(BROKEN.replace('  timeout: {default: 30s}\n', '  §\n')));
    assert.ok(spec.includes('timeouts') && spec.includes('backend') && !spec.includes('execs'));
  });

  it('hovers a key with its schema text and an app with its resolved command line and port', async () => {
    await client.open(URI, BROKEN);
    const key = await client.request<Hover>('textDocument/hover', { textDocument: { uri: URI }, position: posOf(BROKEN, 'hosts:', 2) });
    assert.match((key.contents as MarkupContent).value, /^\*\*hosts\*\*\n\nLogical host names/);
    assert.deepEqual(key.range, { start: posOf(BROKEN, 'hosts:'), end: posOf(BROKEN, 'hosts:', 5) });
    const app = await client.request<Hover>('textDocument/hover', { textDocument: { uri: URI }, position: posOf(BROKEN, 'ru_apa1', 3) });
    const text = (app.contents as MarkupContent).value;
    assert.match(text, /host `10\.0\.0\.11`, port 3402/);
    assert.match(text, /baton-daq-app --name ru_apa1 -c rest:\/\/10\.0\.0\.11:3402/);
  });

  it('goes from an exec to its uses and back', async () => {
    await client.open(URI, BROKEN);
    const decl = { start: posOf(BROKEN, 'daq-app:'), end: posOf(BROKEN, 'daq-app:', 7) };
    const defs = await client.request<Location[]>('textDocument/definition', { textDocument: { uri: URI }, position: posOf(BROKEN, 'exec: daq-app', 8, 0) });
    assert.deepEqual(defs, [{ uri: URI, range: decl }]);
    const refs = await client.request<Location[]>('textDocument/references', { textDocument: { uri: URI }, position: posOf(BROKEN, 'daq-app:', 1), context: { includeDeclaration: true } });
    assert.deepEqual(
      refs.map((r) => r.range.start.line),
      [decl.start.line, posOf(BROKEN, 'exec: daq-app', 0, 0).line, posOf(BROKEN, 'exec: daq-app', 0, 1).line, posOf(BROKEN, 'exec: daq-app', 0, 2).line],
    );
    const uses = await client.request<Location[]>('textDocument/references', { textDocument: { uri: URI }, position: decl.start, context: { includeDeclaration: false } });
    assert.equal(uses.length, 3);
  });

  it('outlines the control tree: execs and hosts, then segments with their apps', async () => {
    await client.open(URI, BROKEN);
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: URI } });
    const tree = (s: DocumentSymbol): unknown => (s.children?.length ? { [s.name]: s.children.map(tree) } : s.name);
    assert.deepEqual(symbols.map(tree), [{ execs: ['daq-app'] }, { hosts: ['daq-01'] }, { dataflow: ['df-01', 'df-02'] }, { readout: ['ru_apa1', 'df-01'] }]);
    const ru = symbols[3].children![0];
    assert.deepEqual(ru.selectionRange, { start: posOf(BROKEN, 'ru_apa1'), end: posOf(BROKEN, 'ru_apa1', 7) });
    assert.equal(ru.detail, 'exec daq-app, host daq-01, port 3402');
  });

  it('answers requests for unknown documents and impossible positions with nothing, and keeps answering', async () => {
    await client.open(URI, BROKEN);
    const nowhere = { textDocument: { uri: 'file:///not/open.baton.yaml' }, position: { line: 0, character: 0 } };
    const far = { textDocument: { uri: URI }, position: { line: 10_000, character: 3 } };
    const wide = { textDocument: { uri: URI }, position: { line: 1, character: 500 } };
    const negative = { textDocument: { uri: URI }, position: { line: -1, character: -4 } };
    for (const p of [nowhere, far, wide, negative]) {
      assert.deepEqual(labels(await client.request<CompletionItem[]>('textDocument/completion', p)), []);
      assert.equal(await client.request<Hover | null>('textDocument/hover', p), null);
      assert.deepEqual(await client.request<Location[]>('textDocument/definition', p), []);
      assert.deepEqual(await client.request<Location[]>('textDocument/references', { ...p, context: { includeDeclaration: true } }), []);
    }
    assert.deepEqual(await client.request('textDocument/documentSymbol', { textDocument: nowhere.textDocument }), []);
    const stale: Diagnostic = { range: { start: { line: 900, character: 0 }, end: { line: 901, character: 0 } }, message: 'x', code: 'unknown-key', source: 'baton', data: { suggestion: 'y' } };
    assert.deepEqual(await client.request('textDocument/codeAction', { textDocument: { uri: URI }, range: stale.range, context: { diagnostics: [stale] } }), []);
    assert.deepEqual(await client.request('textDocument/codeAction', { textDocument: nowhere.textDocument, range: stale.range, context: { diagnostics: [stale] } }), []);
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: URI } });
    assert.equal(symbols.length, 4);
    assert.ok(client.alive);
  });

  it('survives random edits and requests at random positions (fixed seed)', async function () {
    this.timeout(120_000);
    const random = prng(20240611);
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
    const JUNK = ['', ':', '- ', '[', ']', '{', '}', ',', '"', "'", '\n', '  ', '\t', '&a ', '*a', '#', '---\n', 'exec: ', 'name: x', '{name}', '\u0000', '😀', 'order:\n  start: [[', 'ü'];
    await client.open(URI, BROKEN);
    const methods = ['textDocument/completion', 'textDocument/hover', 'textDocument/definition', 'textDocument/references', 'textDocument/documentSymbol', 'textDocument/codeAction'];
    for (let i = 0; i < 2000; i++) {
      const doc = client.docs.get(URI)!;
      const text = doc.getText();
      const a = doc.positionAt(int(text.length + 1));
      const b = doc.positionAt(doc.offsetAt(a) + int(20));
      if (random() < 0.03) await client.change(URI, [{ text: BROKEN.slice(0, int(BROKEN.length)) }]);
      else await client.change(URI, [{ range: { start: a, end: random() < 0.5 ? a : b }, text: pick(JUNK) + (random() < 0.3 ? pick(JUNK) : '') }]);
      const now = client.docs.get(URI)!;
      const lines = now.lineCount;
      const position = random() < 0.1 ? { line: int(lines + 5) - 2, character: int(200) - 5 } : now.positionAt(int(now.getText().length + 1));
      const method = pick(methods);
      const params =
        method === 'textDocument/codeAction'
          ? { textDocument: { uri: URI }, range: { start: position, end: position }, context: { diagnostics: (client.published.at(-1)?.diagnostics ?? []).slice(0, 3) } }
          : { textDocument: { uri: random() < 0.05 ? 'file:///other.yaml' : URI }, position, context: { includeDeclaration: true } };
      const result = await client.request<unknown>(method, params);
      assert.ok(result === null || Array.isArray(result) || typeof result === 'object', `${method} #${i}`);
    }
    assert.ok(client.alive, client.stderr);
    // Still validating: the latest version gets its diagnostics.
    const version = await client.change(URI, [{ text: BROKEN }]);
    const last = await client.diagnostics(URI, (p) => p.version === version);
    assert.equal(last.diagnostics.length, 6);
    assert.equal(client.stderr, '');
    assert.deepEqual(client.logs, [], 'no handler had to catch an exception');
  });
});
