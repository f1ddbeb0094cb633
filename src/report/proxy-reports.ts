import type { Pod } from "../cluster/kube-types.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import { podRef } from "../mesh/proxy.js";
import { certificateTable } from "../proxy/certificates.js";
import type { ProxyReport } from "./report.js";

/** The certificates each inspected proxy holds (pods whose config dump the snapshot has). */
export function proxyReports(view: SnapshotView, pods: readonly Pod[], now: Date): ProxyReport[] {
  const reports: ProxyReport[] = [];
  const seen = new Set<string>();
  for (const pod of pods) {
    const ref = podRef(pod);
    if (seen.has(ref)) continue;
    seen.add(ref);
    const dump = view.proxyData().get(ref)?.configDump;
    if (dump === undefined) continue;
    reports.push({ pod: ref, certificates: certificateTable(dump, now) });
  }
  return reports;
}
