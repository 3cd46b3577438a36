import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRunConfig } from '../../../src/core/config/load';
import { Session } from '../../../src/core/control/session';
import { FarmProcessManager } from '../../support/farm-process-manager';
import { DAQ_APP, ensureBuilt } from '../../support/demo-system';

// A front end's default timeout (VS Code's baton.timeouts.default) applies only where the
// configuration sets none; the configuration's own default still wins.
function config(timeouts: string): string {
  return `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata: {name: defaults}
spec:
  execs: {farm: {command: [unused]}}
${timeouts}  segments:
    - name: seg
      apps: [{name: farm-0000, exec: farm}]
`;
}

describe('session: default timeout from the front end', function () {
  this.timeout(30_000);
  let dir: string;
  let pm: FarmProcessManager | undefined;
  let session: Session | undefined;

  before(ensureBuilt);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-default-timeout-'));
  });
  afterEach(async () => {
    await session?.close();
    await pm?.dispose();
    session = undefined;
    pm = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function confFailure(timeouts: string, defaultTimeoutMs?: number): Promise<string> {
    pm = new FarmProcessManager({ daqApp: DAQ_APP, name: 'farm', count: 1, args: ['--hang-on', 'conf'] });
    session = await Session.open(parseRunConfig(config(timeouts), path.join(dir, 'd.baton.yaml')), { batonDir: dir, processManager: pm, defaultTimeoutMs });
    assert.equal((await session.transition('boot')).ok, true);
    const conf = await session.transition('conf');
    assert.equal(conf.failures[0]?.outcome, 'timeout', JSON.stringify(conf.failures));
    return conf.failures[0].reason ?? '';
  }

  it('applies it to applications whose configuration sets no timeout', async () => {
    assert.match(await confFailure('', 300), /within 300 ms/);
  });

  it('leaves the configuration its own default and its per-transition timeouts', async () => {
    assert.match(await confFailure('  timeouts: {default: 200ms}\n', 5_000), /within 200 ms/);
    await session!.close();
    await pm!.dispose();
    assert.match(await confFailure('  timeouts: {conf: 250ms}\n', 5_000), /within 250 ms/);
  });
});
