import type { Pod } from "../cluster/kube-types.js";
import { hasProxy, podRef, PROXY_CONTAINER } from "../mesh/proxy.js";
import { newFinding } from "./finding.js";
import { subjectPods } from "./subjects.js";
import type { Check } from "./types.js";

function proxyStatus(pod: Pod) {
  return [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find(
    (s) => s.name === PROXY_CONTAINER,
  );
}

export const proxyReadiness: Check = {
  name: "proxy-readiness",
  description: "Proxy containers that are not ready or have restarted.",
  inputs: ["pods"],
  codes: ["MTLS103"],
  run(ctx) {
    for (const pod of subjectPods(ctx)) {
      if (!hasProxy(pod)) continue;
      const status = proxyStatus(pod);
      if (!status) continue;
      const problems: string[] = [];
      if (status.ready === false) problems.push("is not ready");
      if ((status.restartCount ?? 0) > 0) problems.push(`has restarted ${status.restartCount} time(s)`);
      if (problems.length === 0) continue;
      const last = status.lastState?.terminated;
      const waiting = status.state?.waiting;
      ctx.report(
        newFinding("MTLS103", {
          resource: `Pod ${podRef(pod)}`,
          params: { pod: podRef(pod), state: problems.join(" and ") },
          evidence: [
            ...(waiting ? [`waiting: ${waiting.reason ?? ""} ${waiting.message ?? ""}`.trim()] : []),
            ...(last ? [`last terminated: ${last.reason ?? "?"} (exit ${last.exitCode ?? "?"}) at ${last.finishedAt ?? "?"}`] : []),
          ],
        }),
      );
    }
  },
};
