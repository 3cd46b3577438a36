import assert from 'node:assert/strict';
import { expandPlaceholders, placeholdersIn } from '../../../src/core/backends/placeholders';

describe('expandPlaceholders', () => {
  const vars = { name: 'df-01', host: '127.0.0.1', port: 3401, session: 'coldbox' };

  it('expands every known placeholder, numbers included', () => {
    assert.equal(expandPlaceholders('rest://{host}:{port}', vars), 'rest://127.0.0.1:3401');
    assert.equal(expandPlaceholders('{name}@{session}/{name}', vars), 'df-01@coldbox/df-01');
    assert.equal(expandPlaceholders('no placeholders', vars), 'no placeholders');
    assert.equal(expandPlaceholders('', vars), '');
  });

  it('accepts any key the caller provides', () => {
    assert.equal(expandPlaceholders('{rate} Hz', { rate: 10 }), '10 Hz');
  });

  it('turns {{ and }} into literal braces', () => {
    assert.equal(expandPlaceholders('{{"port": {port}}}', vars), '{"port": 3401}');
    assert.equal(expandPlaceholders('{{name}}', vars), '{name}');
  });

  it('names the unknown placeholder, where it was and what is known', () => {
    assert.throws(
      () => expandPlaceholders('rest://{host}:{prot}', vars, 'exec "daq-app" args[2]'),
      { message: 'exec "daq-app" args[2]: unknown placeholder {prot}; known: name, host, port, session' },
    );
  });

  it('without a location, quotes the template', () => {
    assert.throws(() => expandPlaceholders('x{nope}', vars), /^Error: "x\{nope\}": unknown placeholder \{nope\}/);
  });

  it('rejects an unterminated { and a lone }', () => {
    assert.throws(() => expandPlaceholders('a{name', vars, 'here'), /here: unterminated placeholder/);
    assert.throws(() => expandPlaceholders('a}b', vars, 'here'), /here: unmatched \}/);
    assert.throws(() => expandPlaceholders('{}', vars, 'here'), /unknown placeholder \{\}/);
  });

  it('does not treat inherited object properties as placeholders', () => {
    assert.throws(() => expandPlaceholders('{toString}', vars), /unknown placeholder \{toString\}/);
  });

  it('lists the placeholders used in a template', () => {
    assert.deepEqual(placeholdersIn('{{x}} {name}:{port} }}'), ['name', 'port']);
  });
});
