import assert from 'node:assert/strict';
import { validateRunConfig, type BatonDiagnostic } from '../../src/core/config/validate';
import { CLUSTER_DIAGNOSTIC_CODES, maxMatching, matchesExpression, parseQuantity, tolerates } from '../../src/core/config/services/cluster-checks';
import type { ClusterNodeFacts, ClusterSnapshot } from '../../src/core/config/services/cluster-info';
import { labelValues } from '../../src/core/config/services/cluster-info';
import { ConfigDocument, quickFixes } from '../../src/core/config/services';

function node(name: string, labels: Record<string, string> = {}, more: Partial<ClusterNodeFacts> = {}): ClusterNodeFacts {
  return { name, labels: { 'kubernetes.io/hostname': name, ...labels }, allocatable: { cpu: '8', memory: '32Gi' }, taints: [], ready: true, unschedulable: false, ...more };
}

const NODES: ClusterNodeFacts[] = [
  node('np04-srv-001', { 'felix.cern/card': 'true', rack: 'a' }, { allocatable: { cpu: '8', 'felix.cern/card': '1' } }),
  node('np04-srv-002', { 'felix.cern/card': 'true', rack: 'b' }, { allocatable: { cpu: '8', 'felix.cern/card': '1' } }),
  node('np04-srv-003', { storage: 'ssd', rack: 'b' }),
];

function config(apps: string, backend = 'kubernetes', kube = ''): string {
  return `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata:
  name: np04
spec:
  backend: ${backend}
${kube}  execs:
    daq-app: {command: daq_application}
  apps:
${apps}`;
}

const covered = new Set<string>();

function check(text: string, nodes: ClusterNodeFacts[] = NODES, asked: Array<string | undefined> = []): BatonDiagnostic[] {
  const snapshot: ClusterSnapshot = { context: 'np04', nodes };
  const ds = validateRunConfig(text, {
    env: {},
    cluster: (ctx) => {
      asked.push(ctx);
      return snapshot;
    },
  });
  for (const d of ds) covered.add(d.code);
  return ds;
}

/** Line (0-based) and text under a diagnostic's range. */
function at(text: string, d: BatonDiagnostic): { line: number; text: string } {
  const lines = text.split('\n');
  assert.equal(d.range.start.line, d.range.end.line, 'one-line range');
  return { line: d.range.start.line, text: lines[d.range.start.line].slice(d.range.start.character, d.range.end.character) };
}

describe('cluster-aware checks (plain node objects)', () => {
  it('reads quantities, expressions, tolerations and matchings as Kubernetes does', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('4Gi'), 4 * 2 ** 30);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity(2), 2);
    assert.equal(parseQuantity('two'), undefined);
    const labels = { zone: 'a', gen: '5' };
    assert.ok(matchesExpression(labels, { key: 'zone', operator: 'In', values: ['a', 'b'] }));
    assert.ok(!matchesExpression(labels, { key: 'zone', operator: 'NotIn', values: ['a'] }));
    assert.ok(matchesExpression(labels, { key: 'missing', operator: 'NotIn', values: ['a'] }));
    assert.ok(matchesExpression(labels, { key: 'missing', operator: 'DoesNotExist' }));
    assert.ok(matchesExpression(labels, { key: 'gen', operator: 'Gt', values: ['4'] }));
    assert.ok(!matchesExpression(labels, { key: 'gen', operator: 'Lt', values: ['4'] }));
    const taint = { key: 'felix', value: 'yes', effect: 'NoSchedule' };
    assert.ok(tolerates([{ key: 'felix', operator: 'Exists' }], taint));
    assert.ok(tolerates([{ key: 'felix', value: 'yes' }], taint));
    assert.ok(!tolerates([{ key: 'felix', value: 'no' }], taint));
    assert.ok(!tolerates([{ key: 'felix', operator: 'Exists', effect: 'NoExecute' }], taint));
    assert.ok(tolerates([{ operator: 'Exists' }], taint));
    assert.equal(maxMatching([['a'], ['a', 'b'], ['b']]), 2);
    assert.equal(maxMatching([['a', 'b'], ['a'], ['b', 'c']]), 3);
    assert.deepEqual(labelValues(NODES).rack, ['a', 'b']);
  });

  it('asks for the context the configuration names, and only for backend: kubernetes', () => {
    const asked: Array<string | undefined> = [];
    check(config('    - {name: a, exec: daq-app}\n'), NODES, asked);
    check(config('    - {name: a, exec: daq-app}\n', 'kubernetes', '  kubernetes: {context: np04-prod}\n'), NODES, asked);
    check(config('    - {name: a, exec: daq-app, placement: {nodeSelector: {rack: z}}}\n', 'local'), NODES, asked);
    assert.deepEqual(asked, [undefined, 'np04-prod']);
  });

  it('a well placed configuration gets no warning', () => {
    const text = config(`    - name: ru-01
      exec: daq-app
      placement:
        nodeSelector: {felix.cern/card: "true"}
        antiAffinity: [{apps: [ru-02]}]
      resources: {limits: {felix.cern/card: 1}}
    - name: ru-02
      exec: daq-app
      placement: {nodeSelector: {felix.cern/card: "true"}}
      resources: {limits: {felix.cern/card: 1}}
    - {name: df-01, exec: daq-app, placement: {nodeAffinity: [{key: storage, operator: In, values: [ssd]}]}}
`);
    assert.deepEqual(check(text), []);
  });

  it('node-selector-no-match at the label whose value no node has, naming the values seen', () => {
    const text = config(`    - name: ru-01
      exec: daq-app
      placement:
        nodeSelector: {rack: a, felix.cern/card: "yes"}
`);
    const [d] = check(text);
    assert.equal(d.code, 'node-selector-no-match');
    assert.equal(d.severity, 'warning');
    assert.deepEqual(at(text, d), { line: 12, text: '"yes"' });
    assert.match(d.message, /no node of cluster "np04" has the label felix\.cern\/card=yes.*values of felix\.cern\/card there: true/);
    assert.equal(d.field, 'spec.apps[0].placement.nodeSelector.felix.cern/card');
    // The quick fix offers the value the cluster has, keeping the quotes.
    const fixes = quickFixes(ConfigDocument.parse(text), [d]);
    assert.deepEqual(fixes.map((f) => [f.title, f.edits.map((e) => e.newText), f.preferred]), [['Change to "true" (nodes of the cluster have it)', ['"true"'], true]]);
    const unquoted = text.replace('"yes"', 'yes');
    const [u] = check(unquoted);
    assert.deepEqual(quickFixes(ConfigDocument.parse(unquoted), [u]).map((f) => f.edits[0].newText), ['"true"'], 'an unquoted value becomes a quoted string');
  });

  it('node-selector-no-match at nodeSelector when each label exists but not together', () => {
    const text = config(`    - name: ru-01
      exec: daq-app
      placement:
        nodeSelector: {rack: a, storage: ssd}
`);
    const [d] = check(text);
    assert.equal(d.code, 'node-selector-no-match');
    assert.deepEqual(at(text, d), { line: 12, text: 'nodeSelector' });
    assert.match(d.message, /has all of rack=a, storage=ssd together/);
  });

  it('node-affinity-no-match at the strict rule no node satisfies; preferences are ignored', () => {
    const text = config(`    - name: df-01
      exec: daq-app
      placement:
        nodeAffinity:
          - {key: rack, operator: In, values: [b]}
          - {key: gpu, operator: Exists}
          - {key: zone, operator: In, values: [z], strict: false, weight: 10}
`);
    const ds = check(text);
    assert.deepEqual(ds.map((d) => d.code), ['node-affinity-no-match']);
    assert.equal(at(text, ds[0]).line, 14);
    assert.match(ds[0].message, /strict rule "gpu Exists"/);
    const combined = config(`    - name: df-01
      exec: daq-app
      placement:
        nodeSelector: {rack: a}
        nodeAffinity: [{key: storage, operator: In, values: [ssd]}]
`);
    const [c] = check(combined);
    assert.equal(c.code, 'node-affinity-no-match');
    assert.deepEqual(at(combined, c), { line: 13, text: 'nodeAffinity' });
    assert.match(c.message, /together with the nodeSelector/);
  });

  it('extended-resource-unavailable when no node offers it, offers too few, or not where the app may go', () => {
    const none = config(`    - name: ru-01
      exec: daq-app
      resources:
        limits: {intel.com/sriov: 1}
`);
    const [a] = check(none);
    assert.equal(a.code, 'extended-resource-unavailable');
    assert.deepEqual(at(none, a), { line: 12, text: 'intel.com/sriov' });
    assert.match(a.message, /no node of cluster "np04" has intel\.com\/sriov allocatable/);

    const many = config(`    - name: ru-01
      exec: daq-app
      resources: {requests: {cpu: 2}, limits: {felix.cern/card: 2, memory: 1Gi}}
`);
    const [b] = check(many);
    assert.equal(b.code, 'extended-resource-unavailable');
    assert.match(b.message, /asks for 2 felix\.cern\/card, but no node .* has more than 1/);
    assert.equal(at(many, b).text, '2');

    const elsewhere = config(`    - name: ru-01
      exec: daq-app
      placement: {nodeSelector: {storage: ssd}}
      resources: {limits: {felix.cern/card: 1}}
`);
    const [c] = check(elsewhere);
    assert.equal(c.code, 'extended-resource-unavailable');
    assert.match(c.message, /allocatable on np04-srv-001, np04-srv-002 .* not on the nodes the placement of ru-01 selects \(np04-srv-003\)/);
  });

  it('placement-no-schedulable-node when the matching nodes are cordoned, NotReady or tainted', () => {
    const nodes = [
      node('n1', { felix: 'true' }, { unschedulable: true }),
      node('n2', { felix: 'true' }, { ready: false }),
      node('n3', { felix: 'true' }, { taints: [{ key: 'felix', value: 'only', effect: 'NoSchedule' }] }),
      node('n4'),
    ];
    const text = config(`    - name: ru-01
      exec: daq-app
      placement:
        nodeSelector: {felix: "true"}
`);
    const [d] = check(text, nodes);
    assert.equal(d.code, 'placement-no-schedulable-node');
    assert.deepEqual(at(text, d), { line: 11, text: 'placement' });
    assert.match(d.message, /the 3 nodes matching the placement of ru-01 take no new pods: n1 is cordoned; n2 is NotReady; n3 has the taint felix=only:NoSchedule, not tolerated/);
    const tolerated = text.replace('nodeSelector: {felix: "true"}', 'nodeSelector: {felix: "true"}\n        tolerations: [{key: felix, operator: Exists}]');
    assert.deepEqual(check(tolerated, nodes), []);
    // PreferNoSchedule keeps no pod away.
    assert.deepEqual(check(text, [node('n5', { felix: 'true' }, { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })]), []);
    // Without placement, at the app's name.
    const plain = config('    - {name: df-01, exec: daq-app}\n');
    const [p] = check(plain, [node('m', {}, { unschedulable: true })]);
    assert.equal(p.code, 'placement-no-schedulable-node');
    assert.equal(at(plain, p).text, 'df-01');
    assert.match(p.message, /no node of cluster "np04" takes new pods: m is cordoned/);
  });

  it('anti-affinity-too-few-nodes when the placement leaves fewer distinct nodes than the group needs', () => {
    const group = (selector: string) =>
      config(`    - name: ru-01
      exec: daq-app
      placement:
        ${selector}
        antiAffinity: [{apps: [ru-02, ru-03]}]
    - name: ru-02
      exec: daq-app
      placement: {${selector}, antiAffinity: [{apps: [ru-03]}]}
    - name: ru-03
      exec: daq-app
      placement: {${selector}}
    - name: ru-04
      exec: daq-app
      placement: {antiAffinity: [{apps: [ru-01], strict: false}]}
`);
    const text = group('nodeSelector: {felix.cern/card: "true"}');
    const ds = check(text);
    assert.deepEqual(ds.map((d) => d.code), ['anti-affinity-too-few-nodes']);
    assert.deepEqual(at(text, ds[0]), { line: 13, text: 'antiAffinity' });
    assert.match(ds[0].message, /keeps 3 applications \(ru-01, ru-02, ru-03\) on different nodes, but their placement in cluster "np04" allows only 2 of them at once \(nodes: np04-srv-001, np04-srv-002\)/);
    // A selector all three nodes match: three nodes fit three apps.
    const loose = group('nodeSelector: {kubernetes.io/os: linux}');
    const linux = NODES.map((n) => ({ ...n, labels: { ...n.labels, 'kubernetes.io/os': 'linux' } }));
    assert.deepEqual(check(loose, linux), []);
    // More members than schedulable nodes: the static check reports it once, as an error.
    assert.deepEqual(check(loose, linux.slice(0, 2)).map((d) => [d.code, d.severity]), [['anti-affinity-unschedulable', 'error']]);
  });

  it('cluster-unavailable (info) says why placement was not checked, at the context the configuration names', () => {
    const text = config('    - {name: a, exec: daq-app}\n', 'kubernetes', '  kubernetes: {context: lab}\n');
    const ds = validateRunConfig(text, { env: {}, cluster: () => undefined, clusterProblem: (ctx) => `unknown context "${ctx}"` });
    for (const d of ds) covered.add(d.code);
    assert.deepEqual(ds.map((d) => [d.code, d.severity]), [['cluster-unavailable', 'info']]);
    assert.deepEqual(at(text, ds[0]), { line: 6, text: 'lab' });
    assert.equal(ds[0].message, 'placement is not checked against the cluster: unknown context "lab"');
    // Known nodes win over an old problem; a local configuration hears nothing.
    assert.deepEqual(validateRunConfig(text, { env: {}, cluster: () => ({ context: 'lab', nodes: NODES }), clusterProblem: () => 'stale' }), []);
    assert.deepEqual(validateRunConfig(config('    - {name: a, exec: daq-app}\n', 'local'), { env: {}, cluster: () => undefined, clusterProblem: () => 'x' }), []);
  });

  it('skips placement the schema already rejects', () => {
    const text = config(`    - name: ru-01
      exec: daq-app
      placement:
        nodeSelector: {rack: 7}
`);
    assert.deepEqual(check(text).map((d) => d.code), ['wrong-type']);
  });

  describe('coverage', () => {
    it('every cluster code is exercised above', () => {
      assert.deepEqual(Object.keys(CLUSTER_DIAGNOSTIC_CODES).filter((c) => !covered.has(c)), []);
    });
  });
});
