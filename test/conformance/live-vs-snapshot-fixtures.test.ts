// Every `check` case of the project's own fixtures, read live through the fake API server, gives the same
// findings and mTLS table as the snapshot directory: runs on a plain clone, beside the shared scenarios.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { inputsOf } from "../../src/checks/registry.js";
import { diagnose } from "../../src/engine/diagnose.js";
import type { DiagnoseRequest } from "../../src/engine/request.js";
import type { Report } from "../../src/report/report.js";
import { createIstioctlRunner } from "../../src/cluster/istioctl.js";
import { fakeIstioctlEnv, prepareFakeIstioctlBin, type FakeIstioctlBin } from "../support/fake-istioctl.js";
import { startFakeKubeApi } from "../support/fake-kube-api.js";

let bin: FakeIstioctlBin;
beforeAll(async () => {
  bin = await prepareFakeIstioctlBin();
});
afterAll(async () => {
  await bin?.cleanup();
});

const NOW = new Date("2026-11-27T12:00:00Z");
const FIXTURES = path.resolve("test/fixtures/checks");

/**
 * Cases a live check answers differently by design: it lists only the namespaces involved, so it cannot
 * suggest a same-named Service or workload in a namespace nobody asked about (MTLS901/902's suggestions).
 */
const SCOPED_BY_DESIGN = new Set([
  "target-resolution: a service asked for in the wrong namespace is suggested where it exists",
  "target-resolution: a --from without a namespace is looked up in the target's namespace",
]);

const cases: [string, string, DiagnoseRequest][] = [];
for (const topic of readdirSync(FIXTURES).sort()) {
  const list = parse(readFileSync(path.join(FIXTURES, topic, "cases.yaml"), "utf8")) as { name: string; args: { mode: string; target?: string; from?: string } }[];
  for (const c of list) {
    if (c.args.mode !== "check" || !c.args.target) continue;
    const [service = "", namespace = "default"] = c.args.target.split(".");
    const request: DiagnoseRequest = { mode: "check", target: { service, namespace }, now: NOW };
    if (c.args.from) {
      const [name = "", ns = namespace] = c.args.from.split(".");
      request.from = { name, namespace: ns };
    }
    if (!SCOPED_BY_DESIGN.has(`${topic}: ${c.name}`)) cases.push([`${topic}: ${c.name}`, path.join(FIXTURES, topic, "snapshot"), request]);
  }
}

function essentials(report: Report) {
  return {
    verdict: report.verdict,
    // Fixes by what they touch: the fixtures' objects carry no resourceVersion, the fake API server's do,
    // and a fix that copies an object (replace by hand) carries it.
    // In a stable order: pods come in the API server's order live, in the files' order from a directory.
    findings: report.findings
      .map((f) => ({ code: f.code, resource: f.resource, message: f.message, fixes: f.fixes.map((x) => [x.title, x.targets]) }))
      .sort((a, b) => `${a.code}|${a.resource}|${a.message}`.localeCompare(`${b.code}|${b.resource}|${b.message}`)),
    mtls: report.mtls,
    proxies: report.proxies,
  };
}

describe("a live check of each fixture case gives the report of its snapshot directory", () => {
  it.each(cases)("%s", async (_name, dir, request) => {
    const fromDirectory = diagnose(await loadSnapshotDir(dir), request);
    const kube = await startFakeKubeApi({ snapshot: dir });
    try {
      // istioctl (the fake, answering from the directory) where the directory holds its proxy-status output.
      const istioctl = existsSync(path.join(dir, "proxy-status.txt")) ? createIstioctlRunner({ binary: bin.istioctl, env: { ...process.env, ...fakeIstioctlEnv({ snapshotDir: dir }) } }) : null;
      const live = await collectLive(kube.kubeConfig(), planForRequest(request, inputsOf()), { istioctl });
      expect(essentials(diagnose(live, request))).toEqual(essentials(fromDirectory));
    } finally {
      await kube.close();
    }
  });
});
