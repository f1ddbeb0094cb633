import type { FakeResource } from "./fake-kube-resources.js";
import { isPlainObject } from "./merge-patch.js";

export interface ValidationCause {
  reason: "FieldValueInvalid" | "FieldValueNotSupported" | "FieldValueRequired" | "FieldValueTypeInvalid";
  message: string;
  field: string;
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const MTLS_MODES = ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"];
const TLS_MODES = ["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"];
const AUTHZ_ACTIONS = ["ALLOW", "DENY", "AUDIT", "CUSTOM"];

/**
 * What the API server itself would refuse with 422: object metadata, and the schema rules of Istio's
 * CRDs that matter for mTLS fixes (the enums, the port range, "portLevelMtls requires selector").
 * Istio's validating webhook checks more; the fake does not run it.
 */
export function validateObject(resource: FakeResource, obj: Record<string, unknown>): ValidationCause[] {
  const causes: ValidationCause[] = [];
  const metadata = isPlainObject(obj.metadata) ? obj.metadata : {};
  const name = metadata.name;
  if (typeof name !== "string" || name === "") {
    causes.push({ reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" });
  } else if (name.length > 253 || !SUBDOMAIN.test(name)) {
    causes.push({
      reason: "FieldValueInvalid",
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      field: "metadata.name",
    });
  }
  for (const [key, value] of Object.entries(isPlainObject(metadata.labels) ? metadata.labels : {})) {
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push({ reason: "FieldValueInvalid", message: `Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`, field: `metadata.labels[${key}]` });
    }
  }
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  if (resource.kind === "PeerAuthentication") validatePeerAuthentication(spec, causes);
  if (resource.kind === "DestinationRule") validateDestinationRule(spec, causes);
  if (resource.kind === "AuthorizationPolicy") checkEnum(spec.action, AUTHZ_ACTIONS, "spec.action", causes);
  return causes;
}

function validatePeerAuthentication(spec: Record<string, unknown>, causes: ValidationCause[]): void {
  checkEnum(field(spec.mtls, "mode"), MTLS_MODES, "spec.mtls.mode", causes);
  if (spec.portLevelMtls === undefined) return;
  if (!isPlainObject(spec.portLevelMtls)) {
    causes.push({ reason: "FieldValueTypeInvalid", message: `Invalid value: "${typeof spec.portLevelMtls}": spec.portLevelMtls in body must be of type object`, field: "spec.portLevelMtls" });
    return;
  }
  for (const [port, setting] of Object.entries(spec.portLevelMtls)) {
    checkEnum(field(setting, "mode"), MTLS_MODES, `spec.portLevelMtls[${port}].mode`, causes);
  }
  if (!Object.keys(spec.portLevelMtls).every((port) => /^\d+$/.test(port) && Number(port) > 0 && Number(port) <= 65535)) {
    causes.push({ reason: "FieldValueInvalid", message: 'Invalid value: "object": port must be between 1-65535', field: "spec.portLevelMtls" });
  }
  const matchLabels = field(spec.selector, "matchLabels");
  if (!isPlainObject(matchLabels) || Object.keys(matchLabels).length === 0) {
    causes.push({ reason: "FieldValueInvalid", message: 'Invalid value: "object": portLevelMtls requires selector', field: "spec" });
  }
}

function validateDestinationRule(spec: Record<string, unknown>, causes: ValidationCause[]): void {
  const policies: [unknown, string][] = [[spec.trafficPolicy, "spec.trafficPolicy"]];
  const subsets = Array.isArray(spec.subsets) ? spec.subsets : [];
  subsets.forEach((subset, i) => policies.push([field(subset, "trafficPolicy"), `spec.subsets[${i}].trafficPolicy`]));
  for (const [policy, path] of policies) {
    checkEnum(field(field(policy, "tls"), "mode"), TLS_MODES, `${path}.tls.mode`, causes);
    const portLevel = field(policy, "portLevelSettings");
    if (Array.isArray(portLevel)) {
      portLevel.forEach((setting, i) => checkEnum(field(field(setting, "tls"), "mode"), TLS_MODES, `${path}.portLevelSettings[${i}].tls.mode`, causes));
    }
  }
}

function field(value: unknown, key: string): unknown {
  return isPlainObject(value) ? value[key] : undefined;
}

function checkEnum(value: unknown, allowed: string[], path: string, causes: ValidationCause[]): void {
  if (value === undefined || (typeof value === "string" && allowed.includes(value))) return;
  causes.push({
    reason: "FieldValueNotSupported",
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((v) => `"${v}"`).join(", ")}`,
    field: path,
  });
}
