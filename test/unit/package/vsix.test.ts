import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vm from 'node:vm';
import * as zlib from 'node:zlib';

const REPO = path.resolve(__dirname, '../../..');

/** The entries of a zip archive, read from its central directory (stored or deflated). */
function readZip(file: string): Map<string, Buffer> {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= 0 && eocd < 0; i--) if (buf.readUInt32LE(i) === 0x06054b50) eocd = i;
  assert.ok(eocd >= 0, `${file}: no end-of-central-directory record`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, `${file}: broken central directory`);
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    const data = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(data, data + size);
    entries.set(name, method === 0 ? raw : zlib.inflateRawSync(raw));
  }
  return entries;
}

describe('npm run package (the .vsix)', function () {
  this.timeout(120_000);
  let dir: string;
  let vsix: string;
  let output: string;
  let entries: Map<string, Buffer>;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-vsix-test-'));
    vsix = path.join(dir, 'baton.vsix');
    const r = await promisify(execFile)(process.execPath, [path.join(REPO, 'scripts/package-vsix.mjs'), '--out', vsix], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
    output = r.stdout;
    entries = readZip(vsix);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints the size and the file count of what it wrote', () => {
    const m = /baton\.vsix: (\d+) KiB, (\d+) files/.exec(output);
    assert.ok(m, output);
    assert.equal(Number(m[1]), Math.round(fs.statSync(vsix).size / 1024));
    assert.equal(Number(m[2]), entries.size);
  });

  it('holds the manifest and every bundle, and nothing of the sources, tests or node_modules', () => {
    const names = [...entries.keys()];
    const manifest = JSON.parse(entries.get('extension/package.json')!.toString('utf8')) as { name: string; main: string };
    assert.equal(manifest.name, 'baton');
    for (const f of ['extension', 'server', 'cli', 'daq-app', 'language-client', 'session-core']) assert.ok(entries.has(`extension/dist/${f}.js`), `dist/${f}.js missing: ${names.join(', ')}`);
    assert.ok(entries.has(`extension/${manifest.main.replace(/^\.\//, '')}`), `main ${manifest.main} is not packaged`);
    for (const f of ['extension/schemas/run-config.schema.json', 'extension/syntaxes/baton.tmLanguage.json', 'extension/media/baton.svg', 'extension/language-configuration.json']) {
      assert.ok(entries.has(f), `${f} missing`);
    }
    const strays = names.filter((n) => /(^|\/)(node_modules|src|test|bench|scripts|\.baton|out)\//.test(n) || n.endsWith('.map') || n.endsWith('.ts'));
    assert.deepEqual(strays, []);
  });

  it('packages bundles that are valid JavaScript with no dangling source-map link', () => {
    for (const f of ['extension', 'server', 'cli', 'daq-app', 'language-client', 'session-core']) {
      const code = entries.get(`extension/dist/${f}.js`)!.toString('utf8');
      assert.doesNotThrow(() => new vm.Script(code, { filename: `dist/${f}.js` }), `dist/${f}.js`);
      assert.ok(!code.includes('sourceMappingURL'), `dist/${f}.js points to a source map that is not packaged`);
    }
  });

  it('keeps the screenshot the README shows', () => {
    const readme = [...entries.keys()].find((n) => /^extension\/readme\.md$/i.test(n));
    assert.ok(readme);
    for (const [, image] of entries.get(readme)!.toString('utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(image)) continue;
      assert.ok(entries.has(`extension/${image}`), `the README shows ${image}, which is not packaged`);
    }
  });
});
