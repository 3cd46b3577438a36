import assert from 'node:assert/strict';
import { buildEnvironment } from '../../../src/core/backends/local/environment';

describe('buildEnvironment', () => {
  const parent = { PATH: '/usr/bin:/bin', HOME: '/home/op', EMPTY: '' };

  it('inherits nothing that is not asked for', () => {
    assert.deepEqual(buildEnvironment({}, parent), {});
    assert.deepEqual(buildEnvironment({ LOG_LEVEL: 'info' }, parent), { LOG_LEVEL: 'info' });
  });

  it('getenv copies the variable of the same name', () => {
    assert.deepEqual(buildEnvironment({ PATH: 'getenv', EMPTY: 'getenv' }, parent), { PATH: '/usr/bin:/bin', EMPTY: '' });
  });

  it('getenv of an unset variable is an error naming it', () => {
    assert.throws(
      () => buildEnvironment({ DUNEDAQ_SHARE: 'getenv' }, parent, 'exec "daq-app" env'),
      /^Error: exec "daq-app" env: environment variable DUNEDAQ_SHARE is set to "getenv" but DUNEDAQ_SHARE is not set/,
    );
  });

  it('getenv:DEFAULT falls back to the default (which may be empty or contain colons)', () => {
    assert.deepEqual(buildEnvironment({ HOME: 'getenv:/tmp', TZ: 'getenv:UTC', X: 'getenv:', U: 'getenv:http://a:b' }, parent), {
      HOME: '/home/op',
      TZ: 'UTC',
      X: '',
      U: 'http://a:b',
    });
  });

  it('getenv_ifset copies only when set', () => {
    assert.deepEqual(buildEnvironment({ HOME: 'getenv_ifset', LD_LIBRARY_PATH: 'getenv_ifset' }, parent), { HOME: '/home/op' });
  });

  it('keeps other values literally, placeholders included (expanded later)', () => {
    assert.deepEqual(buildEnvironment({ A: 'rest://{host}:{port}', B: 'GETENV', C: 'getenvx' }, parent), {
      A: 'rest://{host}:{port}',
      B: 'GETENV',
      C: 'getenvx',
    });
  });

  it('rejects names that cannot be environment variables', () => {
    assert.throws(() => buildEnvironment({ 'A=B': 'x' }, parent), /invalid environment variable name/);
    assert.throws(() => buildEnvironment({ '': 'x' }, parent), /invalid environment variable name/);
  });
});
