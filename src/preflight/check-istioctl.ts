import { istioctlVersion, type IstioctlRunner } from "../cluster/istioctl.js";
import type { PreflightItem } from "./preflight-item.js";

const IMPACT =
  "istioctl analyze messages and proxy-status are not read, and config dumps come only through exec (proxyInspection.exec)";

/** istioctl on PATH (or ISTIOCTL) and its client version; optional: the checks that need it are skipped. */
export async function checkIstioctl(runner: IstioctlRunner | null, missingReason: string): Promise<PreflightItem> {
  if (runner === null) {
    return { area: "istioctl", name: "istioctl", status: "missing", required: false, detail: missingReason, impact: IMPACT, enable: "put istioctl in the image (or on PATH), or set ISTIOCTL to its path (Helm: worker.extraEnv)" };
  }
  const result = await istioctlVersion(runner);
  if (result.version === undefined) {
    return {
      area: "istioctl",
      name: "istioctl",
      status: "unknown",
      required: false,
      detail: `${runner.binary}: ${result.failure ?? "no version"}`,
      impact: IMPACT,
      enable: "make sure the istioctl found runs on this machine (same OS and architecture), or set ISTIOCTL to one that does",
    };
  }
  return { area: "istioctl", name: "istioctl", status: "ok", required: false, detail: `${runner.binary}, client version ${result.version}` };
}
