/** A `metav1.Status` cause, as the API server lists them under `details.causes`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** What the fake answers for a failed request: the same `Status` object a real API server sends. */
export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code: number;
}

/** The part of a resource a Status message names: `pods`, or `peerauthentications.security.istio.io`. */
export interface StatusTarget {
  group: string;
  plural: string;
  name?: string;
}

const REASON_BY_CODE: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Expired",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** Thrown inside the fake's handlers; the router turns it into the HTTP answer. */
export class KubeStatusError extends Error {
  override readonly name = "KubeStatusError";

  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: KubeStatus["details"],
  ) {
    super(message);
  }

  toStatus(): KubeStatus {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.code,
    };
  }

  static withCode(code: number, message: string): KubeStatusError {
    return new KubeStatusError(code, REASON_BY_CODE[code] ?? "Unknown", message);
  }

  static badRequest(message: string): KubeStatusError {
    return new KubeStatusError(400, "BadRequest", message);
  }

  static notFound(target: StatusTarget): KubeStatusError {
    return new KubeStatusError(404, "NotFound", `${qualified(target)} "${target.name ?? ""}" not found`, details(target));
  }

  static noSuchPath(): KubeStatusError {
    return new KubeStatusError(404, "NotFound", "the server could not find the requested resource", {
      causes: [{ reason: "UnexpectedServerResponse", message: "404 page not found" }],
    });
  }

  /** RBAC's answer, worded as kube-apiserver words it. `resource` may name a subresource (`pods/exec`). */
  static forbidden(target: StatusTarget & { resource: string; namespace?: string }, user: string, verb: string): KubeStatusError {
    const subject = target.name === undefined ? qualified(target) : `${qualified(target)} "${target.name}"`;
    const scope = target.namespace === undefined ? "at the cluster scope" : `in the namespace "${target.namespace}"`;
    return new KubeStatusError(
      403,
      "Forbidden",
      `${subject} is forbidden: User "${user}" cannot ${verb} resource "${target.resource}" in API group "${target.group}" ${scope}`,
      details(target),
    );
  }

  static alreadyExists(target: StatusTarget): KubeStatusError {
    return new KubeStatusError(409, "AlreadyExists", `${qualified(target)} "${target.name ?? ""}" already exists`, details(target));
  }

  /** The answer to a write whose `resourceVersion` precondition no longer holds. */
  static modified(target: StatusTarget): KubeStatusError {
    return new KubeStatusError(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualified(target)} "${target.name ?? ""}": the object has been modified; please apply your changes to the latest version and try again`,
      details(target),
    );
  }

  /** The answer to a server-side apply that another field manager's fields conflict with. */
  static applyConflict(fieldManager: string, apiVersion: string): KubeStatusError {
    const field = ".spec";
    return new KubeStatusError(
      409,
      "Conflict",
      `Apply failed with 1 conflict: conflict with "${fieldManager}" using ${apiVersion}: ${field}`,
      { causes: [{ reason: "FieldManagerConflict", message: `conflict with "${fieldManager}" using ${apiVersion}`, field }] },
    );
  }

  static invalid(kind: string, target: StatusTarget, causes: Required<Pick<StatusCause, "field" | "message" | "reason">>[]): KubeStatusError {
    const kindName = target.group === "" ? kind : `${kind}.${target.group}`;
    const summary = causes.map((c) => `${c.field}: ${c.message}`);
    const joined = summary.length === 1 ? summary[0] : `[${summary.join(", ")}]`;
    return new KubeStatusError(422, "Invalid", `${kindName} "${target.name ?? ""}" is invalid: ${joined}`, {
      ...details(target),
      kind,
      causes,
    });
  }
}

function qualified(target: StatusTarget): string {
  return target.group === "" ? target.plural : `${target.plural}.${target.group}`;
}

function details(target: StatusTarget): KubeStatus["details"] {
  return {
    ...(target.name === undefined ? {} : { name: target.name }),
    ...(target.group === "" ? {} : { group: target.group }),
    kind: target.plural,
  };
}
