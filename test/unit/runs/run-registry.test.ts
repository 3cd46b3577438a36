import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { RunRegistry } from '../../../src/core/runs/run-registry';

const execFileP = promisify(execFile);
const TSX_CJS = require.resolve('tsx/cjs');

describe('RunRegistry', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'baton-runs-'));
    file = path.join(dir, '.baton', 'run-number.json');
  });
  afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

  it('starts at 1, counts up, and peek does not take a number', async () => {
    const reg = new RunRegistry(file);
    assert.equal(await reg.peek(), 1);
    assert.equal(await reg.next(), 1);
    assert.equal(await reg.peek(), 2);
    assert.equal(await reg.peek(), 2);
    assert.equal(await reg.next(), 2);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).next, 3);
    assert.equal(fs.existsSync(`${file}.lock`), false, 'lock released');
  });

  it('continues from the number in the file', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ next: 1000 }));
    const reg = new RunRegistry(file);
    assert.equal(await reg.next(), 1000);
    assert.equal(await new RunRegistry(file).next(), 1001);
  });

  it('reserve moves the counter past an explicit number, never backwards', async () => {
    const reg = new RunRegistry(file);
    await reg.reserve(41);
    assert.equal(await reg.next(), 42);
    await reg.reserve(10);
    assert.equal(await reg.peek(), 43);
    await assert.rejects(reg.reserve(0), /positive integer/);
    await assert.rejects(reg.reserve(1.5), /positive integer/);
  });

  it('refuses a damaged counter rather than restarting at 1', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ next: 'seven' }));
    await assert.rejects(new RunRegistry(file).next(), /"next" must be a positive integer/);
    fs.writeFileSync(file, '{');
    await assert.rejects(new RunRegistry(file).peek(), /invalid JSON/);
  });

  it('concurrent next() calls in one process get distinct numbers', async () => {
    const reg = new RunRegistry(file);
    const got = await Promise.all(Array.from({ length: 20 }, () => reg.next()));
    assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('several processes taking numbers at once get distinct, contiguous numbers', async function () {
    this.timeout(60_000);
    const procs = 5;
    const each = 8;
    const script = path.join(__dirname, 'take-run-numbers.ts');
    const outputs = await Promise.all(
      Array.from({ length: procs }, () =>
        execFileP(process.execPath, ['-r', TSX_CJS, script, file, String(each)], { timeout: 50_000 }),
      ),
    );
    const all = outputs.flatMap((o) => JSON.parse(o.stdout) as number[]);
    assert.equal(all.length, procs * each);
    assert.deepEqual([...all].sort((a, b) => a - b), Array.from({ length: procs * each }, (_, i) => i + 1));
    assert.equal(await new RunRegistry(file).peek(), procs * each + 1);
  });
});
