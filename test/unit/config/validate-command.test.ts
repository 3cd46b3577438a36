import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { validateCommand } from '../../../src/cli/validate-command';

const GOOD = `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata: {name: ok}
spec:
  execs: {x: {command: [x], env: {PATH: getenv}}}
  segments:
    - name: s
      apps: [{name: a, exec: x}]
`;

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('baton validate', () => {
  let dir: string;
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const run = async (files: string[], format: 'text' | 'json' = 'text', env: NodeJS.ProcessEnv = { PATH: '/bin' }) => {
    const out = sink();
    const err = sink();
    const code = await validateCommand(files, { format, out: out.stream, err: err.stream, env });
    return { code, out: out.text(), err: err.text() };
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-validate-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and prints nothing on stdout for a clean file', async () => {
    const r = await run([write('ok.baton.yaml', GOOD)]);
    assert.equal(r.code, 0);
    assert.equal(r.out, '');
    assert.match(r.err, /1 file: 0 errors, 0 warnings/);
  });

  it('prints file:line:col: severity code message (1-based) and exits 1 on an error', async () => {
    const f = write('bad.baton.yaml', GOOD.replace('exec: x}', 'exec: y}'));
    const r = await run([f]);
    assert.equal(r.code, 1);
    assert.equal(r.out, `${f}:8:30: error unknown-exec app "a" uses exec "y" which is not defined in spec.execs (known: x)\n`);
  });

  it('warnings alone exit 0', async () => {
    const r = await run([write('w.baton.yaml', GOOD)], 'text', {});
    assert.equal(r.code, 0);
    assert.match(r.out, /:5:\d+: warning getenv-unset PATH/);
  });

  it('exits 2 when a file cannot be read, and still checks the others', async () => {
    const bad = write('bad.baton.yaml', GOOD.replace('exec: x}', 'exec: y}'));
    const r = await run([path.join(dir, 'missing.baton.yaml'), bad]);
    assert.equal(r.code, 2);
    assert.match(r.err, /missing\.baton\.yaml: cannot read file/);
    assert.match(r.out, /unknown-exec/);
  });

  it('--format json prints one array with an entry per file', async () => {
    const ok = write('ok.baton.yaml', GOOD);
    const bad = write('bad.baton.yaml', GOOD.replace('exec: x}', 'exec: y}'));
    const missing = path.join(dir, 'missing.baton.yaml');
    const r = await run([ok, bad, missing], 'json');
    assert.equal(r.code, 2);
    const parsed = JSON.parse(r.out) as Array<{ file: string; diagnostics?: Array<{ code: string; range: { start: { line: number } } }>; error?: string }>;
    assert.deepEqual(parsed.map((p) => p.file), [ok, bad, missing]);
    assert.deepEqual(parsed[0].diagnostics, []);
    assert.equal(parsed[1].diagnostics![0].code, 'unknown-exec');
    assert.equal(parsed[1].diagnostics![0].range.start.line, 7);
    assert.match(parsed[2].error!, /cannot read file/);
  });
});
