import { badRequest } from './status';
import type { KubeObject } from './store';

/**
 * Just enough OpenAPI v3 for kubectl (1.27+) to see that the server validates fields
 * itself (`fieldValidation` on the PATCH operations): kubectl then skips client-side
 * schema validation and sends `fieldValidation=Strict`, so `kubectl apply/create -f` work
 * without --validate=false. No schemas are served; kubectl falls back to its built-in
 * patch metadata for strategic merge patches. Older kubectl (e.g. 1.20) only reads the
 * protobuf OpenAPI v2 document, which is not served: use --validate=false there.
 */

const KINDS: Array<[string, string, boolean]> = [
  ['pods', 'Pod', true],
  ['services', 'Service', true],
  ['events', 'Event', true],
  ['namespaces', 'Namespace', false],
  ['nodes', 'Node', false],
];

const HASH = 'BATONSIM0001';

export const OPENAPI_V3_INDEX = { paths: { 'api/v1': { serverRelativeURL: `/openapi/v3/api/v1?hash=${HASH}` } } };

export const OPENAPI_V3_CORE = {
  openapi: '3.0.0',
  info: { title: 'Kubernetes (Baton simulated cluster)', version: 'v1.32.0' },
  paths: Object.fromEntries(
    KINDS.map(([resource, kind, namespaced]) => [
      `/api/v1/${namespaced ? 'namespaces/{namespace}/' : ''}${resource}/{name}`,
      {
        patch: {
          operationId: `patch${namespaced ? 'Namespaced' : ''}${kind}`,
          'x-kubernetes-action': 'patch',
          'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind },
          parameters: [
            { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
            { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
            { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
            { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
          ],
          responses: { '200': { description: 'OK' } },
        },
      },
    ]),
  ),
  components: { schemas: {} },
};

const TOP_LEVEL: Record<string, string[]> = {
  Event: ['apiVersion', 'kind', 'metadata', 'involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance'],
};
const METADATA = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];

/**
 * `fieldValidation=Strict`: unknown top-level and metadata fields are an error, as the
 * real server reports them. Fields deeper in spec are not checked (no schemas here).
 */
export function strictFieldCheck(kind: string, body: KubeObject): void {
  if (!body || typeof body !== 'object') return;
  const top = TOP_LEVEL[kind] ?? ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
  const unknown = [
    // `$`-keys are strategic merge patch directives
    ...Object.keys(body).filter((k) => !top.includes(k) && !k.startsWith('$')),
    ...Object.keys(body.metadata && typeof body.metadata === 'object' ? body.metadata : {})
      .filter((k) => !METADATA.includes(k) && !k.startsWith('$'))
      .map((k) => `metadata.${k}`),
  ];
  if (unknown.length) throw badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
}
