import { strict as assert } from 'node:assert';
import { parseRunConfig } from '../../../../src/core/config/load';
import type { AppConfig, RunConfig } from '../../../../src/core/config/types';
import type { AppLaunchSpec } from '../../../../src/core/backends/process-manager';
import { buildPod, buildService, DEFAULT_POD_PORT, type PodBuildInput } from '../../../../src/core/backends/kubernetes/pod-spec';

const CONFIG = `
apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata: {name: coldbox, labels: {experiment: np04}}
spec:
  backend: kubernetes
  terminateGrace: 7s
  kubernetes:
    image: baton/daq-app:0.1
    imagePullPolicy: IfNotPresent
    imagePullSecrets: [regcred]
    serviceAccount: daq
  execs:
    daq-app:
      command: [baton-daq-app]
      args: [--name, "{name}", -c, "rest://{host}:{port}", --cost, "$5", --literal, "$(HOME)"]
      env: {PARTITION: "{session}", ADDR: "{host}:{port}"}
    felix:
      command: [felix-readout]
      image: cern/felix:4.2
  apps:
    - name: df-01
      exec: daq-app
      placement:
        nodeAffinity:
          - {key: node-role.daq/storage, operator: Exists}
          - {key: zone, operator: In, values: [a, b]}
          - {key: disk, operator: In, values: [ssd], strict: false, weight: 20}
          - {key: slow, operator: DoesNotExist, strict: false}
        affinity: [{apps: [ru-apa1], strict: false, weight: 10, topologyKey: topology.kubernetes.io/zone}]
        tolerations: [{key: daq, operator: Equal, value: "true", effect: NoSchedule}]
    - name: ru-apa1
      exec: felix
      port: 3411
      image: cern/felix:4.3
      privileged: true
      hostNetwork: true
      preStop: [felix-drain, --timeout, "3"]
      resources:
        requests: {cpu: 2, memory: 4Gi}
        limits: {felix.cern/card: 1}
      mounts: [{hostPath: /data/felix, path: /felix, readOnly: true}]
      placement:
        nodeSelector: {felix.cern/card: "true"}
        antiAffinity: [{apps: [ru-apa2]}]
    - name: ru-apa2
      exec: felix
      port: 3412
`;

function inputFor(config: RunConfig, name: string, spec: Partial<AppLaunchSpec> = {}): PodBuildInput {
  const app = config.root.children.find((c) => c.name === name) as AppConfig;
  const exec = config.execs[app.exec];
  const launch: AppLaunchSpec = { name, command: exec.command[0], args: [...exec.command.slice(1), ...exec.args, ...app.args], env: { ...exec.env, ...app.env }, host: app.host, port: app.port, ...spec };
  return { session: config.name, namespace: config.kubernetes.namespace, spec: launch, app, execImage: exec.image, settings: config.kubernetes, labels: config.labels, configHash: 'abc123', terminateGraceMs: config.terminateGraceMs };
}

describe('kubernetes pod and service specs from a run configuration', () => {
  const config = parseRunConfig(CONFIG, 'coldbox.baton.yaml');

  it('a plain application: image, command, {host} as $(POD_IP), literal $ escaped, labels and annotations', () => {
    const pod = buildPod(inputFor(config, 'df-01'));
    assert.equal(pod.metadata?.namespace, 'coldbox');
    assert.deepEqual(pod.metadata?.labels, { experiment: 'np04', 'app.kubernetes.io/managed-by': 'baton', 'baton.dev/session': 'coldbox', 'baton.dev/app': 'df-01' });
    assert.deepEqual(pod.metadata?.annotations, { 'baton.dev/port': String(DEFAULT_POD_PORT), 'baton.dev/config-hash': 'abc123' });
    const spec = pod.spec!;
    assert.equal(spec.restartPolicy, 'Never');
    assert.equal(spec.terminationGracePeriodSeconds, 7);
    assert.equal(spec.serviceAccountName, 'daq');
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'regcred' }]);
    const c = spec.containers[0];
    assert.equal(c.image, 'baton/daq-app:0.1');
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(c.command, ['baton-daq-app']);
    assert.deepEqual(c.args, ['--name', 'df-01', '-c', 'rest://$(POD_IP):3333', '--cost', '$$5', '--literal', '$$(HOME)']);
    assert.deepEqual(c.env?.[0], { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    assert.deepEqual(c.env?.filter((e) => e.value !== undefined), [{ name: 'PARTITION', value: 'coldbox' }, { name: 'ADDR', value: '$(POD_IP):3333' }]);
    assert.deepEqual(c.ports, [{ name: 'restcmd', containerPort: 3333, protocol: 'TCP' }]);
    assert.equal(spec.hostNetwork, undefined);
    assert.equal(c.securityContext, undefined);
  });

  it('node affinity: strict rules ANDed in one required term, soft ones preferred with weights; pod affinity with topology key; tolerations', () => {
    const spec = buildPod(inputFor(config, 'df-01')).spec!;
    assert.deepEqual(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'node-role.daq/storage', operator: 'Exists' }, { key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
    });
    assert.deepEqual(spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution, [
      { weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
      { weight: 50, preference: { matchExpressions: [{ key: 'slow', operator: 'DoesNotExist' }] } },
    ]);
    assert.deepEqual(spec.affinity?.podAffinity, {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: { labelSelector: { matchExpressions: [{ key: 'baton.dev/app', operator: 'In', values: ['ru-apa1'] }] }, topologyKey: 'topology.kubernetes.io/zone' } }],
    });
    assert.equal(spec.affinity?.podAntiAffinity, undefined);
    assert.deepEqual(spec.tolerations, [{ key: 'daq', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
    assert.equal(spec.nodeSelector, undefined);
  });

  it('a readout application: app image over exec image, resources with extended ones, privileged, host mount, hostNetwork, preStop, hard anti-affinity', () => {
    const pod = buildPod(inputFor(config, 'ru-apa1'));
    const spec = pod.spec!;
    const c = spec.containers[0];
    assert.equal(c.image, 'cern/felix:4.3');
    assert.deepEqual(c.resources, { requests: { cpu: '2', memory: '4Gi' }, limits: { 'felix.cern/card': '1' } });
    assert.deepEqual(c.securityContext, { privileged: true });
    assert.deepEqual(spec.volumes, [{ name: 'host-0', hostPath: { path: '/data/felix', type: 'Directory' } }]);
    assert.deepEqual(c.volumeMounts, [{ name: 'host-0', mountPath: '/felix', readOnly: true }]);
    assert.equal(spec.hostNetwork, true);
    assert.equal(spec.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.deepEqual(c.lifecycle, { preStop: { exec: { command: ['felix-drain', '--timeout', '3'] } } });
    assert.deepEqual(spec.nodeSelector, { 'felix.cern/card': 'true' });
    assert.deepEqual(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, [{ labelSelector: { matchExpressions: [{ key: 'baton.dev/app', operator: 'In', values: ['ru-apa2'] }] }, topologyKey: 'kubernetes.io/hostname' }]);
    assert.equal(pod.metadata?.annotations?.['baton.dev/port'], '3411');
    assert.equal(pod.metadata?.annotations?.['baton.dev/host-network'], 'true');
    assert.equal(buildPod(inputFor(config, 'ru-apa2')).spec!.containers[0].image, 'cern/felix:4.2', 'the exec image when the app names none');
  });

  it('service: the command port, selecting the pod by session and app', () => {
    const svc = buildService(inputFor(config, 'ru-apa1'));
    assert.equal(svc.metadata?.name, 'ru-apa1');
    assert.deepEqual(svc.spec?.selector, { 'baton.dev/session': 'coldbox', 'baton.dev/app': 'ru-apa1' });
    assert.deepEqual(svc.spec?.ports, [{ name: 'restcmd', port: 3411, targetPort: 3411, protocol: 'TCP' }]);
  });

  it('refuses what cannot work, saying where: no image, hostNetwork without a fixed port, a reserved env name, a bad placeholder', () => {
    const noImage = parseRunConfig(CONFIG.replace('    image: baton/daq-app:0.1\n', ''), 'x.baton.yaml');
    assert.throws(() => buildPod(inputFor(noImage, 'df-01')), /application "df-01" has no container image: set image on the application or its exec, or spec.kubernetes.image/);
    assert.throws(() => buildPod(inputFor(config, 'ru-apa1', { port: 0 })), /application "ru-apa1" uses hostNetwork and so needs a fixed port/);
    assert.throws(() => buildPod(inputFor(config, 'df-01', { env: { POD_IP: '1.2.3.4' } })), /application "df-01" env POD_IP: the name is set by Baton on Kubernetes/);
    assert.throws(() => buildPod(inputFor(config, 'df-01', { args: ['{prot}'] })), /application "df-01" args\[0\]: unknown placeholder \{prot\}/);
  });
});
