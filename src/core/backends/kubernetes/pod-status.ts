import type { V1ContainerState, V1ContainerStatus, V1Pod } from './client';

/**
 * The words of kubectl's STATUS column for a pod, following kubectl's `printPod` so that
 * Baton and `kubectl get pods` never disagree: the phase, overridden by `status.reason`
 * (e.g. Evicted), then by the first init container that has not finished
 * (`Init:ErrImagePull`, `Init:0/2`, ...), then by the containers' own states (last
 * container first, so the first one's words win), and `Terminating` while a deletion of a
 * pod not yet finished is under way.
 */
export function podStatusText(pod: V1Pod): string {
  const status = pod.status ?? {};
  const phase = status.phase ?? 'Pending';
  let reason: string = status.reason || phase;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs = new Map((pod.spec?.initContainers ?? []).map((c) => [c.name, c]));
  const initCount = pod.spec?.initContainers?.length ?? 0;
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    const st = c.state ?? {};
    if (st.terminated && st.terminated.exitCode === 0) continue;
    // A sidecar (restartable init container) that has started does not hold the pod back.
    if (initSpecs.get(c.name)?.restartPolicy === 'Always' && c.started) continue;
    if (st.terminated) {
      reason = st.terminated.reason ? `Init:${st.terminated.reason}` : st.terminated.signal ? `Init:Signal:${st.terminated.signal}` : `Init:ExitCode:${st.terminated.exitCode}`;
    } else if (st.waiting?.reason && st.waiting.reason !== 'PodInitializing') {
      reason = `Init:${st.waiting.reason}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(pod, 'Initialized')) {
    let hasRunning = false;
    const containers = status.containerStatuses ?? [];
    for (let i = containers.length - 1; i >= 0; i--) {
      const st = containers[i].state ?? {};
      if (st.waiting?.reason) reason = st.waiting.reason;
      else if (st.terminated?.reason) reason = st.terminated.reason;
      else if (st.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode}`;
      else if (containers[i].ready && st.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  return reason;
}

/** kubectl's READY column: ready containers / containers. */
export function podReadyText(pod: V1Pod): string {
  const total = pod.spec?.containers?.length ?? 0;
  const ready = (pod.status?.containerStatuses ?? []).filter((c) => c.ready && c.state?.running).length;
  return `${ready}/${total}`;
}

/** True when the pod is Ready: every container runs and passes its readiness check. */
export function podIsReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && conditionTrue(pod, 'Ready');
}

/** True once the pod can never run again (restartPolicy Never: a container ended, or the pod failed). */
export function podIsFinished(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * What an operator needs to know about a pod that is not running as it should, in one
 * sentence, or undefined when nothing is wrong (yet): the scheduler's message for an
 * unschedulable pod, the reason of an eviction, why a container is waiting (image pull,
 * configuration) or how it ended (reason and exit code).
 */
export function podProblem(pod: V1Pod): string | undefined {
  const status = pod.status ?? {};
  const sched = (status.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (sched && (sched.reason === 'Unschedulable' || sched.message)) {
    return `${sched.reason ?? 'Unschedulable'}: ${sched.message ?? 'no node can run the pod'}`;
  }
  if (status.reason) return status.message ? `${status.reason}: ${status.message}` : status.reason;
  for (const c of status.initContainerStatuses ?? []) {
    if (c.state?.terminated && c.state.terminated.exitCode === 0) continue;
    const p = containerProblem(c, 'init container ');
    if (p) return p;
  }
  for (const c of status.containerStatuses ?? []) {
    const p = containerProblem(c, '');
    if (p) return p;
  }
  if (status.phase === 'Failed') return status.message ?? 'pod failed';
  return undefined;
}

/** Waiting reasons that are a normal step of starting, not a problem. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

function containerProblem(c: V1ContainerStatus, prefix: string): string | undefined {
  const st: V1ContainerState = c.state ?? {};
  const who = c.name ? `${prefix}"${c.name}"` : `${prefix}container`;
  if (st.waiting?.reason && !STARTING.has(st.waiting.reason)) {
    return `${st.waiting.reason}: ${st.waiting.message ?? `${who} is waiting`}`;
  }
  if (st.terminated) return terminatedText(st.terminated, who);
  return undefined;
}

function terminatedText(t: NonNullable<V1ContainerState['terminated']>, who: string): string {
  const how = t.signal ? `exit code ${t.exitCode} (signal ${t.signal})` : `exit code ${t.exitCode}`;
  const reason = t.reason || (t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`);
  return `${reason}: ${who} ended with ${how}${t.message ? `: ${t.message.trim()}` : ''}`;
}

function conditionTrue(pod: V1Pod, type: string): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}
