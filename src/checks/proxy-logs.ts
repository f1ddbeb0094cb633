import { hasProxy, podRef } from "../mesh/proxy.js";
import { scanTlsFailures } from "../proxy/log-scan.js";
import { newFinding } from "./finding.js";
import { subjectPods } from "./subjects.js";
import type { Check } from "./types.js";

/** Samples in the message are cut shorter than in the evidence: the message is one readable paragraph. */
const MESSAGE_SAMPLE_LENGTH = 160;

export const proxyLogs: Check = {
  name: "proxy-logs",
  description: "TLS handshake, certificate and CSR failures in the istio-proxy logs of target and source pods.",
  inputs: ["proxyLogs", "pods"],
  codes: ["MTLS405"],
  run(ctx) {
    let withProxy = 0;
    let withLog = 0;
    for (const pod of subjectPods(ctx)) {
      if (!hasProxy(pod)) continue;
      withProxy++;
      const log = ctx.view.proxyLog(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "");
      if (log === undefined) continue;
      withLog++;
      const scan = scanTlsFailures(log);
      if (scan.count === 0) continue;
      const ref = podRef(pod);
      const samples = scan.samples.map((sample) => {
        // Tabs of the agent's log format would break a one-paragraph message.
        const flat = sample.replace(/\s+/g, " ");
        return flat.length > MESSAGE_SAMPLE_LENGTH ? `${flat.slice(0, MESSAGE_SAMPLE_LENGTH - 1)}…` : flat;
      });
      ctx.report(
        newFinding("MTLS405", {
          resource: `Pod ${ref}`,
          params: { pod: ref, count: scan.count, kinds: scan.kinds.join(", "), samples: samples.map((s) => `"${s}"`).join("; ") },
          evidence: scan.samples,
        }),
      );
    }
    if (withProxy > 0 && withLog === 0) ctx.skip("the snapshot holds no istio-proxy log of the pods involved");
  },
};
