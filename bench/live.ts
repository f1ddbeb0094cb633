// Live collection: API requests per `check` (counted at the fake server) for clusters of 10 and 1,000
// namespaces, and the wall time of a live `check` with 5,000 pods in the target namespace behind 5 ms
// of simulated latency, against a baseline measured in the same run (the same check with no latency).
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { KubeConfig } from "@kubernetes/client-node";
import { collectLive, planForRequest } from "../src/cluster/collect-live.js";
import { inputsOf } from "../src/checks/registry.js";
import { diagnose } from "../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../src/engine/request.js";
import { startFakeKubeApi } from "../test/support/fake-kube-api.js";
import { SOURCE, TARGET, syntheticCluster } from "../test/cluster/synthetic-cluster.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const withSource: DiagnoseRequest = { mode: "check", target: { ...TARGET }, from: { ...SOURCE }, now: NOW };
const withoutSource: DiagnoseRequest = { mode: "check", target: { ...TARGET }, now: NOW };

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "fake", server: url, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "fake", cluster: "fake", user: "u" }],
    currentContext: "fake",
  });
  return kc;
}

async function countRequests(namespaces: number, request: DiagnoseRequest): Promise<{ api: number; proxy: number }> {
  const kube = await startFakeKubeApi({ snapshot: syntheticCluster({ namespaces }) });
  try {
    await collectLive(kube.kubeConfig(), planForRequest(request, inputsOf()), { istioctl: null });
    const proxy = kube.requests.filter((r) => r.verb === "exec" || r.verb === "log").length;
    return { api: kube.requests.length - proxy, proxy };
  } finally {
    await kube.close();
  }
}

async function separateServer(targetPods: number, latencyMs: number): Promise<{ url: string; stop: () => void }> {
  const script = fileURLToPath(new URL("./fake-kube-server.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, "3", String(targetPods), String(latencyMs)], { stdio: ["pipe", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
    child.once("exit", (code) => reject(new Error(`fake server exited ${code}`)));
  });
  return { url, stop: () => child.stdin.end() };
}

async function timeLiveCheck(targetPods: number, latencyMs: number, runs = 3): Promise<number> {
  const server = await separateServer(targetPods, latencyMs);
  try {
    const kc = kubeConfigFor(server.url);
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const snapshot = await collectLive(kc, planForRequest(withSource, inputsOf()), { istioctl: null });
      diagnose(snapshot, withSource);
      samples.push(performance.now() - start);
    }
    return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
  } finally {
    server.stop();
  }
}

const rows: string[] = [];
for (const [label, request] of [["check --from (other namespace)", withSource], ["check (no --from)", withoutSource]] as const) {
  const small = await countRequests(10, request);
  const large = await countRequests(1_000, request);
  rows.push(`| ${label} | ${small.api} + ${small.proxy} | ${large.api} + ${large.proxy} | ${small.api + small.proxy === large.api + large.proxy ? "yes" : "NO"} |`);
}
console.log("API requests per check (lists/gets + exec/log), counted at the fake server:");
console.log("| request | 10 namespaces | 1,000 namespaces | same |");
console.log("|---|---:|---:|:---:|");
for (const r of rows) console.log(r);

const baseline = await timeLiveCheck(5_000, 0);
const slow = await timeLiveCheck(5_000, 5);
console.log(`\nlive check, 5,000 pods in the target namespace (fake server in its own process, median of 3):`);
console.log(`| latency | wall time (ms) | ratio to 0 ms |`);
console.log(`|---:|---:|---:|`);
console.log(`| 0 ms (baseline) | ${baseline.toFixed(0)} | 1.0 |`);
console.log(`| 5 ms | ${slow.toFixed(0)} | ${(slow / baseline).toFixed(2)} |`);
console.log(`${slow < 1_000 ? "met " : "MISS"} live check with 5k pods behind 5 ms latency < 1 s`);
