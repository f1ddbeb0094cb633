import { authorization } from "./authorization.js";
import { certificates } from "./certificates.js";
import { controlPlaneEvents } from "./control-plane-events.js";
import { envoyConfig } from "./envoy-config.js";
import { istioctlAnalyze } from "./istioctl-analyze.js";
import { managedControlPlane } from "./managed-control-plane.js";
import { observedTraffic } from "./observed-traffic.js";
import { proxyLogs } from "./proxy-logs.js";
import { proxySync } from "./proxy-sync.js";
import { authorizationReferences } from "./authorization-references.js";
import { destinationRuleTls } from "./destination-rule-tls.js";
import { mixedSidecarService } from "./mixed-sidecar-service.js";
import { namespaceInjectionCheck } from "./namespace-injection.js";
import { peerAuthenticationConflicts } from "./peer-authentication-conflicts.js";
import { peerAuthenticationSelectors } from "./peer-authentication-selectors.js";
import { plaintextClient } from "./plaintext-client.js";
import { portLevelMtls } from "./port-level-mtls.js";
import { probes } from "./probes.js";
import { proxyReadiness } from "./proxy-readiness.js";
import { sidecarPresence } from "./sidecar-presence.js";
import { targetResolution } from "./target-resolution.js";
import { targetServerMode } from "./target-server-mode.js";
import type { Input } from "../cluster/snapshot.js";
import type { Check } from "./types.js";

/** Every check, in the order their findings are easiest to read. */
export const CHECKS: readonly Check[] = [
  targetResolution,
  sidecarPresence,
  namespaceInjectionCheck,
  managedControlPlane,
  proxyReadiness,
  mixedSidecarService,
  plaintextClient,
  destinationRuleTls,
  peerAuthenticationConflicts,
  portLevelMtls,
  peerAuthenticationSelectors,
  targetServerMode,
  authorization,
  authorizationReferences,
  probes,
  proxySync,
  certificates,
  proxyLogs,
  controlPlaneEvents,
  envoyConfig,
  observedTraffic,
  istioctlAnalyze,
];

/** What the engine reads itself to resolve the target and the source, before any check runs. */
export const ENGINE_INPUTS: readonly Input[] = ["services", "pods", "workloads", "namespaces"];

/** Every input the engine or some check reads: what a live collection fetches. */
export function inputsOf(checks: readonly Check[] = CHECKS): Set<Input> {
  return new Set([...ENGINE_INPUTS, ...checks.flatMap((c) => [...c.inputs])]);
}
