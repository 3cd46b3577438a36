import { strict as assert } from 'node:assert';
import type { V1Pod } from '../../../../src/core/backends/kubernetes/client';
import { podIsReady, podProblem, podReadyText, podStatusText } from '../../../../src/core/backends/kubernetes/pod-status';

/** Pods shaped as the API server returns them (only the fields printPod reads). */
function pod(status: V1Pod['status'], extra: Partial<V1Pod> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ru-apa1', namespace: 'coldbox', ...(extra.metadata ?? {}) },
    spec: { containers: [{ name: 'app', image: 'baton/daq-app:0.1' }], restartPolicy: 'Never', ...(extra.spec ?? {}) },
    status,
  };
}

const T = '2026-11-26T10:00:00Z';

describe('kubernetes pod status words (kubectl STATUS column)', () => {
  it('unschedulable pod: Pending, with the scheduler message as the problem', () => {
    const p = pod({
      phase: 'Pending',
      qosClass: 'BestEffort',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: T as unknown as Date, message: "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling." }],
    });
    assert.equal(podStatusText(p), 'Pending');
    assert.equal(podProblem(p), "Unschedulable: 0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.");
    assert.equal(podIsReady(p), false);
  });

  it('scheduled, container being created: ContainerCreating, no problem', () => {
    const p = pod({
      phase: 'Pending',
      hostIP: '10.0.0.5',
      conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
      containerStatuses: [{ name: 'app', image: 'baton/daq-app:0.1', imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } }],
    });
    assert.equal(podStatusText(p), 'ContainerCreating');
    assert.equal(podProblem(p), undefined);
    assert.equal(podReadyText(p), '0/1');
  });

  it('image pull failures: ErrImagePull then ImagePullBackOff, with the message', () => {
    const waiting = (reason: string, message: string) =>
      pod({
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        containerStatuses: [{ name: 'app', image: 'baton/nope:1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message } } }],
      });
    assert.equal(podStatusText(waiting('ErrImagePull', 'pull access denied')), 'ErrImagePull');
    const backoff = waiting('ImagePullBackOff', 'Back-off pulling image "baton/nope:1"');
    assert.equal(podStatusText(backoff), 'ImagePullBackOff');
    assert.equal(podProblem(backoff), 'ImagePullBackOff: Back-off pulling image "baton/nope:1"');
  });

  it('running and ready: Running 1/1, no problem', () => {
    const p = pod({
      phase: 'Running',
      podIP: '10.244.1.7',
      conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }, { type: 'PodScheduled', status: 'True' }],
      containerStatuses: [{ name: 'app', image: 'baton/daq-app:0.1', imageID: 'x', ready: true, restartCount: 0, started: true, state: { running: { startedAt: T as unknown as Date } } }],
    });
    assert.equal(podStatusText(p), 'Running');
    assert.equal(podReadyText(p), '1/1');
    assert.equal(podIsReady(p), true);
    assert.equal(podProblem(p), undefined);
  });

  it('terminated containers: reason words, or ExitCode:N / Signal:N without a reason', () => {
    const ended = (terminated: Record<string, unknown>, phase = 'Failed') =>
      pod({ phase, containerStatuses: [{ name: 'app', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: terminated as never } }] });
    assert.equal(podStatusText(ended({ exitCode: 137, reason: 'OOMKilled' })), 'OOMKilled');
    assert.equal(podProblem(ended({ exitCode: 137, reason: 'OOMKilled' })), 'OOMKilled: "app" ended with exit code 137');
    assert.equal(podStatusText(ended({ exitCode: 2, reason: 'Error' })), 'Error');
    assert.equal(podStatusText(ended({ exitCode: 0, reason: 'Completed' }, 'Succeeded')), 'Completed');
    assert.equal(podStatusText(ended({ exitCode: 3 })), 'ExitCode:3');
    assert.equal(podStatusText(ended({ exitCode: 0, signal: 9 })), 'Signal:9');
    assert.equal(podProblem(ended({ exitCode: 1, reason: 'Error', message: 'boom\n' })), 'Error: "app" ended with exit code 1: boom');
  });

  it('waiting reasons after a crash and for bad configuration', () => {
    const p = (reason: string) => pod({ phase: 'Running', containerStatuses: [{ name: 'app', image: 'i', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason, message: 'm' } } }] });
    assert.equal(podStatusText(p('CrashLoopBackOff')), 'CrashLoopBackOff');
    assert.equal(podStatusText(p('CreateContainerConfigError')), 'CreateContainerConfigError');
    assert.equal(podProblem(p('CreateContainerConfigError')), 'CreateContainerConfigError: m');
  });

  it('evicted: status.reason overrides the phase and carries the message', () => {
    const p = pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' });
    assert.equal(podStatusText(p), 'Evicted');
    assert.equal(podProblem(p), 'Evicted: The node was low on resource: memory.');
  });

  it('deletionTimestamp: Terminating unless the phase is terminal; NodeLost shows Unknown', () => {
    const running = pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] }, { metadata: { name: 'x', deletionTimestamp: T as unknown as Date } });
    assert.equal(podStatusText(running), 'Terminating');
    const done = pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, { metadata: { name: 'x', deletionTimestamp: T as unknown as Date } });
    assert.equal(podStatusText(done), 'Completed');
    const lost = pod({ phase: 'Running', reason: 'NodeLost' }, { metadata: { name: 'x', deletionTimestamp: T as unknown as Date } });
    assert.equal(podStatusText(lost), 'Unknown');
  });

  it('init containers: Init:i/n while running, Init:<reason> when stuck or failed', () => {
    const spec = { containers: [{ name: 'app' }], initContainers: [{ name: 'a' }, { name: 'b' }] };
    const p1 = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'a', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, { name: 'b', image: 'i', imageID: '', ready: false, restartCount: 0, state: { running: {} } }] }, { spec });
    assert.equal(podStatusText(p1), 'Init:1/2');
    const p2 = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'a', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'nope' } } }] }, { spec });
    assert.equal(podStatusText(p2), 'Init:ImagePullBackOff');
    assert.equal(podProblem(p2), 'ImagePullBackOff: nope');
    const p3 = pod({ phase: 'Failed', initContainerStatuses: [{ name: 'a', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 4 } } }] }, { spec });
    assert.equal(podStatusText(p3), 'Init:ExitCode:4');
  });

  it('a pod without status yet reads Pending', () => {
    assert.equal(podStatusText(pod(undefined)), 'Pending');
    assert.equal(podProblem(pod(undefined)), undefined);
  });
});
