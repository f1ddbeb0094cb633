import path from "node:path";
import { KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { DestinationRule } from "../../src/cluster/kube-types.js";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { diagnose } from "../../src/engine/diagnose.js";
import { fixFilename, renderFixReply } from "../../src/slack/render-fix.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { messageText } from "../slack/message-texts.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const OPTIONS = { approveReaction: "white_check_mark", rejectReaction: "x", fixesEnabled: true, expiresAt: new Date("2026-11-28T12:00:00Z") };

let kube: FakeKubeApi | undefined;
afterEach(async () => {
  await kube?.close();
  kube = undefined;
});

/** The demo mesh, with a DestinationRule that Helm manages and that also sets tls in a subset. */
async function cluster(): Promise<FakeKubeApi> {
  const snapshot = await loadSnapshotDir(path.resolve("examples/demo"));
  const rule = snapshot.destinationRules.find((r) => r.metadata?.name === "storefront");
  if (!rule?.metadata || !rule.spec) throw new Error("the demo has no DestinationRule shop/storefront");
  rule.metadata.labels = { "app.kubernetes.io/managed-by": "Helm" };
  rule.metadata.annotations = { "meta.helm.sh/release-name": "storefront" };
  rule.spec.subsets = [{ name: "v2", labels: { version: "v2" }, trafficPolicy: { tls: { mode: "DISABLE" } } }];
  return startFakeKubeApi({ snapshot });
}

describe("the fix that removes tls from a DestinationRule", () => {
  it("says one command, kubectl replace, in its YAML and in its Slack reply; the file is the whole rule without tls", async () => {
    kube = await cluster();
    const report = diagnose(kube.objects(), { mode: "check", target: { service: "storefront", namespace: "shop" }, from: { name: "checkout", namespace: "shop" }, now: NOW });
    const finding = report.findings.find((f) => f.code === "MTLS203");
    const fix = finding?.fixes.find((f) => f.title.startsWith("Remove tls from DestinationRule shop/storefront"));
    expect(fix?.manual).toBe(true);
    const filename = fixFilename(fix!, finding!);

    const inYaml = fix!.yaml.split("\n").filter((l) => l.startsWith("#") && l.includes("kubectl"));
    expect(inYaml).toEqual(["# By hand: kubectl replace -f <this file>"]);
    const reply = messageText(renderFixReply(fix!, finding!, OPTIONS));
    expect(reply).toContain(`By hand: \`kubectl replace -f ${filename}\``);
    expect(`${fix!.yaml}\n${reply}`).not.toMatch(/kubectl apply/);
    // Never offered for approval: the bot applies with server-side apply, which cannot remove a field someone else set.
    expect(reply).not.toContain(":white_check_mark:");

    const [obj] = parseAllDocuments(fix!.yaml).map((d) => d.toJS() as DestinationRule);
    expect(JSON.stringify(obj?.spec)).not.toContain('"tls"');
    expect(obj?.spec?.subsets?.[0]).toEqual({ name: "v2", labels: { version: "v2" }, trafficPolicy: {} });
    const stored = kube.getObject("DestinationRule", "shop", "storefront");
    expect(obj?.metadata).toEqual({
      name: "storefront",
      namespace: "shop",
      labels: { "app.kubernetes.io/managed-by": "Helm" },
      annotations: { "meta.helm.sh/release-name": "storefront" },
      resourceVersion: stored?.metadata?.resourceVersion,
    });
  });

  it("`kubectl replace -f` of the file removes tls and keeps labels and annotations, and is refused if the rule changed since", async () => {
    kube = await cluster();
    const report = diagnose(kube.objects(), { mode: "check", target: { service: "storefront", namespace: "shop" }, from: { name: "checkout", namespace: "shop" }, now: NOW });
    const fix = report.findings.flatMap((f) => f.fixes).find((f) => f.title.startsWith("Remove tls from DestinationRule shop/storefront"));
    const [obj] = parseAllDocuments(fix!.yaml).map((d) => d.toJS() as KubernetesObject);
    const api = KubernetesObjectApi.makeApiClient(kube.kubeConfig());

    // Someone changes the rule after the suggestion: replacing it with the stale file is refused (409), nothing lost.
    const changed = kube.getObject("DestinationRule", "shop", "storefront") as DestinationRule;
    kube.putObject({ ...changed, metadata: { ...changed.metadata, annotations: { ...changed.metadata?.annotations, edited: "yes" } } });
    await expect(api.replace(obj!)).rejects.toMatchObject({ code: 409 });
    expect(JSON.stringify(kube.getObject("DestinationRule", "shop", "storefront"))).toContain('"tls"');

    // From the rule as it is now, the replace goes through.
    const fresh = diagnose(kube.objects(), { mode: "check", target: { service: "storefront", namespace: "shop" }, from: { name: "checkout", namespace: "shop" }, now: NOW });
    const again = fresh.findings.flatMap((f) => f.fixes).find((f) => f.title.startsWith("Remove tls from DestinationRule shop/storefront"));
    const [current] = parseAllDocuments(again!.yaml).map((d) => d.toJS() as KubernetesObject);
    await api.replace(current!);
    const after = kube.getObject("DestinationRule", "shop", "storefront") as DestinationRule;
    expect(JSON.stringify(after.spec)).not.toContain('"tls"');
    expect(after.metadata?.labels).toEqual({ "app.kubernetes.io/managed-by": "Helm" });
    expect(after.metadata?.annotations).toMatchObject({ "meta.helm.sh/release-name": "storefront", edited: "yes" });
  });
});
