import type { AuthorizationPolicy, AuthorizationRule, AuthorizationSource, Pod } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import { matchesLabels } from "./labels.js";
import { meshConfigFor, type MeshConfig } from "./mesh-config.js";

/** Three-valued match: a rule that needs request attributes the check cannot know "may" match. */
export type Tri = "yes" | "no" | "maybe";

function and(values: Tri[]): Tri {
  if (values.includes("no")) return "no";
  return values.includes("maybe") ? "maybe" : "yes";
}

function or(values: Tri[]): Tri {
  if (values.includes("yes")) return "yes";
  return values.includes("maybe") ? "maybe" : "no";
}

/** The peer as authorization sees it. Without mutual TLS there is no identity at all. */
export interface Peer {
  namespace: string;
  serviceAccount: string;
  /** False for plaintext: principals and namespaces then match nothing. */
  mtls: boolean;
}

export function principalOf(peer: Peer, trustDomain: string): string {
  return `${trustDomain}/ns/${peer.namespace}/sa/${peer.serviceAccount}`;
}

/** Istio's string match: `*` (any non-empty value), `prefix*`, `*suffix`, or exact. */
export function stringMatches(pattern: string, value: string): boolean {
  if (pattern === "*") return value !== "";
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

/** A policy principal with an aliased trust domain reads as the mesh's own (Istio rewrites them the same way). */
function normalisePrincipal(pattern: string, mesh: MeshConfig): string {
  for (const alias of mesh.trustDomainAliases) {
    if (pattern.startsWith(`${alias}/`)) return `${mesh.trustDomain}/${pattern.slice(alias.length + 1)}`;
  }
  return pattern;
}

const REQUEST_SOURCE_FIELDS = [
  "requestPrincipals",
  "notRequestPrincipals",
  "ipBlocks",
  "notIpBlocks",
  "remoteIpBlocks",
  "notRemoteIpBlocks",
] as const;

export interface MatchContext {
  peer: Peer;
  mesh: MeshConfig;
  /** The container port the request arrives on. */
  port: number;
  /** Request attributes a "maybe" depended on, for the message. */
  unknown: Set<string>;
}

function identityList(patterns: string[] | undefined, value: string | undefined, negate: boolean): Tri | undefined {
  if (patterns === undefined) return undefined;
  const hit = value !== undefined && patterns.some((p) => stringMatches(p, value));
  return (negate ? !hit : hit) ? "yes" : "no";
}

function sourceMatches(source: AuthorizationSource, ctx: MatchContext): Tri {
  const { peer, mesh } = ctx;
  const principal = peer.mtls ? principalOf(peer, mesh.trustDomain) : undefined;
  const namespace = peer.mtls ? peer.namespace : undefined;
  const serviceAccount = peer.mtls ? `${peer.namespace}/${peer.serviceAccount}` : undefined;
  const norm = (list: string[] | undefined) => list?.map((p) => normalisePrincipal(p, mesh));
  const parts: (Tri | undefined)[] = [
    identityList(norm(source.principals), principal, false),
    identityList(norm(source.notPrincipals), principal, true),
    identityList(source.namespaces, namespace, false),
    identityList(source.notNamespaces, namespace, true),
    identityList(source.serviceAccounts, serviceAccount, false),
    identityList(source.notServiceAccounts, serviceAccount, true),
  ];
  for (const field of REQUEST_SOURCE_FIELDS) {
    if (source[field] !== undefined) {
      ctx.unknown.add(`source.${field}`);
      parts.push("maybe");
    }
  }
  return and(parts.filter((p): p is Tri => p !== undefined));
}

function portList(ports: string[] | undefined, port: number, negate: boolean): Tri | undefined {
  if (ports === undefined) return undefined;
  const hit = ports.some((p) => p === String(port));
  return (negate ? !hit : hit) ? "yes" : "no";
}

function ruleMatches(rule: AuthorizationRule, ctx: MatchContext): Tri {
  const from = rule.from && rule.from.length > 0 ? or(rule.from.map((f) => sourceMatches(f.source ?? {}, ctx))) : "yes";
  const to =
    rule.to && rule.to.length > 0
      ? or(
          rule.to.map((t) => {
            const op = t.operation ?? {};
            const parts: (Tri | undefined)[] = [portList(op.ports, ctx.port, false), portList(op.notPorts, ctx.port, true)];
            for (const field of ["hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"] as const) {
              if (op[field] !== undefined) {
                ctx.unknown.add(`operation.${field}`);
                parts.push("maybe");
              }
            }
            return and(parts.filter((p): p is Tri => p !== undefined));
          }),
        )
      : "yes";
  const when = and(
    (rule.when ?? []).map((condition) => {
      const key = condition.key ?? "";
      const known: Record<string, string | undefined> = {
        "source.namespace": ctx.peer.mtls ? ctx.peer.namespace : undefined,
        "source.principal": ctx.peer.mtls ? principalOf(ctx.peer, ctx.mesh.trustDomain) : undefined,
        "destination.port": String(ctx.port),
      };
      if (!(key in known)) {
        ctx.unknown.add(`when ${key}`);
        return "maybe";
      }
      const value = known[key];
      const inValues = condition.values === undefined || (value !== undefined && condition.values.some((v) => stringMatches(v, value)));
      const inNot = value !== undefined && (condition.notValues ?? []).some((v) => stringMatches(v, value));
      return inValues && !inNot ? "yes" : "no";
    }),
  );
  return and([from, to, when]);
}

/** Whether a policy's rules match a request from the peer on the port. No rules match nothing. */
export function policyMatches(policy: AuthorizationPolicy, ctx: MatchContext): Tri {
  const rules = policy.spec?.rules ?? [];
  return rules.length === 0 ? "no" : or(rules.map((r) => ruleMatches(r, ctx)));
}

function isDryRun(policy: AuthorizationPolicy): boolean {
  return policy.metadata?.annotations?.["istio.io/dry-run"] === "true";
}

function targetsWaypoint(policy: AuthorizationPolicy): boolean {
  return policy.spec?.targetRef !== undefined || (policy.spec?.targetRefs?.length ?? 0) > 0;
}

/**
 * The policies enforced on a pod: its namespace's policies whose selector matches (or that have none),
 * and the root namespace's, which apply mesh-wide. Dry-run policies and waypoint-targeted ones are left out.
 */
export function policiesForPod(view: SnapshotView, pod: Pod): AuthorizationPolicy[] {
  const namespace = pod.metadata?.namespace ?? "";
  const root = meshConfigFor(view).rootNamespace;
  const namespaces = namespace === root ? [root] : [namespace, root];
  return namespaces
    .flatMap((ns) => view.authorizationPolicies(ns))
    .filter((p) => !isDryRun(p) && !targetsWaypoint(p) && matchesLabels(p.spec?.selector?.matchLabels, pod.metadata?.labels));
}

export type AuthzDecision = "allowed" | "denied" | "maybe-denied";

export interface AuthzVerdict {
  decision: AuthzDecision;
  /** The DENY (or CUSTOM) policy that decided, when one did; undefined when no ALLOW matched. */
  policy?: AuthorizationPolicy;
  /** The ALLOW policies that exist and did not match (for evidence). */
  allowPolicies: AuthorizationPolicy[];
  reason: string;
  unknown: string[];
}

function ref(p: AuthorizationPolicy): string {
  return `${p.metadata?.namespace ?? ""}/${p.metadata?.name ?? ""}`;
}

/**
 * Istio's order of evaluation for a request: CUSTOM, then DENY, then ALLOW (when any ALLOW policy
 * applies, the request must match one). CUSTOM is an external decision the check cannot know.
 */
export function evaluateAuthorization(view: SnapshotView, pod: Pod, port: number, peer: Peer): AuthzVerdict {
  const mesh = meshConfigFor(view, pod.metadata?.namespace);
  const ctx: MatchContext = { peer, mesh, port, unknown: new Set() };
  const policies = policiesForPod(view, pod);
  const byAction = (action: string) => policies.filter((p) => (p.spec?.action ?? "ALLOW") === action);
  const allowPolicies = byAction("ALLOW");
  const verdict = (decision: AuthzDecision, reason: string, policy?: AuthorizationPolicy): AuthzVerdict => {
    const v: AuthzVerdict = { decision, reason, allowPolicies, unknown: [...ctx.unknown].sort() };
    if (policy) v.policy = policy;
    return v;
  };
  for (const policy of byAction("DENY")) {
    const match = policyMatches(policy, ctx);
    if (match === "yes") return verdict("denied", `DENY policy ${ref(policy)} matches it`, policy);
  }
  for (const policy of byAction("DENY")) {
    const unknownBefore = new Set(ctx.unknown);
    ctx.unknown = new Set();
    const match = policyMatches(policy, ctx);
    const unknown = [...ctx.unknown];
    ctx.unknown = new Set([...unknownBefore, ...unknown]);
    if (match === "maybe") {
      return verdict("maybe-denied", `DENY policy ${ref(policy)} may match it, depending on ${unknown.join(", ")}`, policy);
    }
  }
  if (allowPolicies.length > 0) {
    const matches = allowPolicies.map((p) => policyMatches(p, ctx));
    if (matches.includes("yes")) return verdict("allowed", "an ALLOW policy matches it");
    if (matches.includes("maybe")) return verdict("allowed", "an ALLOW policy may match it, depending on request attributes");
    const who = peer.mtls ? `${principalOf(peer, mesh.trustDomain)} (namespace ${peer.namespace})` : "a plaintext peer without identity";
    return verdict("denied", `ALLOW policies ${allowPolicies.map(ref).join(", ")} apply and none admits ${who}`);
  }
  return verdict("allowed", "no policy refuses it");
}
