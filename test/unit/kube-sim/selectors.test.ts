import assert from 'node:assert/strict';
import { matchesFields, matchesLabels, matchesLabelSelectorObject, parseFieldSelector, parseLabelSelector, SelectorError } from '../../support/kube-sim/selectors';

describe('kube-sim selectors', () => {
  const labels = { app: 'ru-01', tier: 'readout', 'felix.cern/card': 'true' };
  const match = (sel: string): boolean => matchesLabels(parseLabelSelector(sel), labels);

  it('label selectors: equality, inequality, sets, existence', () => {
    assert.equal(match('app=ru-01'), true);
    assert.equal(match('app==ru-01'), true);
    assert.equal(match('app!=ru-01'), false);
    assert.equal(match('app!=df-01'), true);
    assert.equal(match('missing!=x'), true, '!= matches objects without the label');
    assert.equal(match('tier in (readout, dataflow)'), true);
    assert.equal(match('tier notin (readout)'), false);
    assert.equal(match('missing notin (x)'), true);
    assert.equal(match('felix.cern/card'), true);
    assert.equal(match('!felix.cern/card'), false);
    assert.equal(match('!missing'), true);
    assert.equal(match('app=ru-01,tier in (readout),!missing'), true);
    assert.equal(match('app=ru-01,tier=dataflow'), false);
    assert.equal(match(''), true);
  });

  it('a malformed label selector is an error naming the requirement', () => {
    assert.throws(() => parseLabelSelector('app=(x'), (e: Error) => e instanceof SelectorError && /app=\(x/.test(e.message));
    assert.throws(() => parseLabelSelector('-bad-=x'), SelectorError);
  });

  it('LabelSelector objects: matchLabels and matchExpressions; null matches nothing', () => {
    assert.equal(matchesLabelSelectorObject({ matchLabels: { app: 'ru-01' } }, labels), true);
    assert.equal(matchesLabelSelectorObject({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['readout'] }] }, labels), true);
    assert.equal(matchesLabelSelectorObject({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['readout'] }] }, labels), false);
    assert.equal(matchesLabelSelectorObject({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels), true);
    assert.equal(matchesLabelSelectorObject({}, labels), true);
    assert.equal(matchesLabelSelectorObject(null, labels), false);
  });

  it('field selectors on the fields each kind supports', () => {
    const pod = { metadata: { name: 'a', namespace: 'ns' }, spec: { nodeName: 'node-1' }, status: { phase: 'Running' } };
    assert.equal(matchesFields(parseFieldSelector('spec.nodeName=node-1,status.phase!=Failed', 'pods'), pod), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.name==b', 'pods'), pod), false);
    const ev = { metadata: { name: 'e', namespace: 'ns' }, involvedObject: { kind: 'Pod', name: 'a', namespace: 'ns' } };
    assert.equal(matchesFields(parseFieldSelector('involvedObject.name=a,involvedObject.kind=Pod', 'events'), ev), true);
    assert.throws(() => parseFieldSelector('spec.image=x', 'pods'), /field label not supported: spec.image/);
  });
});
