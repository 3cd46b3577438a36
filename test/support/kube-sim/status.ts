/** metav1.Status failure bodies, worded the way the real API server words them. */

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason?: string; message: string; field?: string }> };
  code: number;
}

/** An error that the router turns into a Status response. */
export class ApiError extends Error {
  constructor(readonly status: StatusBody) {
    super(status.message);
  }
  get code(): number {
    return this.status.code;
  }
}

function body(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export const notFound = (resource: string, name: string): ApiError => new ApiError(body(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource }));

export const alreadyExists = (resource: string, name: string): ApiError =>
  new ApiError(body(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, kind: resource }));

export const conflict = (resource: string, name: string): ApiError =>
  new ApiError(
    body(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
      name,
      kind: resource,
    }),
  );

export interface FieldCause {
  field: string;
  message: string;
  reason?: string;
}

/** 422: `Pod "x" is invalid: field: message[, field: message]`. */
export const invalid = (kind: string, name: string, causes: FieldCause[]): ApiError => {
  const text = causes.map((c) => `${c.field}: ${c.message}`);
  const joined = text.length === 1 ? text[0] : `[${text.join(', ')}]`;
  return new ApiError(
    body(422, 'Invalid', `${kind} "${name}" is invalid: ${joined}`, {
      name,
      kind,
      causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
    }),
  );
};

export const forbidden = (user: string, verb: string, resource: string, namespace?: string, name?: string): ApiError => {
  const what = name ? `${resource} "${name}"` : resource;
  const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  return new ApiError(
    body(403, 'Forbidden', `${what} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group ""${scope}`, {
      ...(name ? { name } : {}),
      kind: resource,
    }),
  );
};

export const badRequest = (message: string): ApiError => new ApiError(body(400, 'BadRequest', message));

export const methodNotAllowed = (verb: string): ApiError => new ApiError(body(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${verb})`));

export const unsupportedMediaType = (type: string): ApiError => new ApiError(body(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (server-side apply is not simulated; got ${type})`));

export const gone = (requested: number, oldest: number): StatusBody => body(410, 'Expired', `too old resource version: ${requested} (${oldest})`);

export const internalError = (message: string): ApiError => new ApiError(body(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }));

export const unavailable = (message: string): ApiError => new ApiError(body(503, 'ServiceUnavailable', message));

export const statusOk = (details: { name: string; kind: string; uid?: string }): Record<string, unknown> => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  details,
});
