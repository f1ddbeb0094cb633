import { AuthorizationPolicy, PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1";
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { KubeObject } from "../cluster/kube-types.js";

/** A fix object that does not validate against the published schema: never offered. */
export class InvalidFixError extends Error {
  override readonly name = "InvalidFixError";
}

interface Validatable {
  validate(): void;
}

type ModelFactory = (data: never) => Validatable;

// The schemas Istio and Kubernetes publish, as bundled by @kubernetes-models: the same rules the API
// server applies, so a fix that passes here is not refused there for its shape.
const MODELS: Record<string, ModelFactory> = {
  "security.istio.io/v1 PeerAuthentication": (d) => new PeerAuthentication(d),
  "security.istio.io/v1 AuthorizationPolicy": (d) => new AuthorizationPolicy(d),
  "networking.istio.io/v1 DestinationRule": (d) => new DestinationRule(d),
  "v1 Namespace": (d) => new Namespace(d),
  "apps/v1 Deployment": (d) => new Deployment(d),
  "apps/v1 StatefulSet": (d) => new StatefulSet(d),
  "apps/v1 DaemonSet": (d) => new DaemonSet(d),
};

export const FIXABLE_KINDS: readonly string[] = Object.keys(MODELS);

/** Validates one fix object against its kind's published schema; throws InvalidFixError naming the problem. */
export function validateFixObject(obj: KubeObject): void {
  const key = `${obj.apiVersion ?? ""} ${obj.kind ?? ""}`;
  const factory = MODELS[key];
  if (!factory) throw new InvalidFixError(`no schema for ${key}: fixes may only touch ${FIXABLE_KINDS.join(", ")}`);
  try {
    factory(structuredClone(obj) as never).validate();
  } catch (err) {
    throw new InvalidFixError(`${key} ${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}: ${(err as Error).message}`);
  }
}
