import { CoreV1Api } from "@kubernetes/client-node";
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { permanentFailure } from "../../src/worker/permanent-failure.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.js";
import { freePort } from "../support/redis-server.js";
import { DEMO_SNAPSHOT } from "../e2e/pipeline-harness.js";

let slack: FakeSlack;
let kube: FakeKubeApi;
beforeAll(async () => {
  slack = await startFakeSlack();
  kube = await startFakeKubeApi({ snapshot: DEMO_SNAPSHOT });
});
afterAll(async () => {
  await slack.close();
  await kube.close();
});

/** The error the real client throws for a call, or undefined when the call succeeded. */
async function thrownBy(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
    return undefined;
  } catch (err) {
    return err;
  }
}

function client(options: ConstructorParameters<typeof WebClient>[1] = {}): WebClient {
  return new WebClient("xoxb-test", { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, ...options });
}

describe("permanentFailure: what retrying a diagnose job cannot fix", () => {
  it.each(["channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "token_revoked", "missing_scope", "invalid_blocks"])(
    "Slack answering %s",
    async (error) => {
      slack.failNext("chat.postMessage", { error });
      const err = await thrownBy(() => client().chat.postMessage({ channel: "C0MTLS0001", text: "hi" }));
      expect(permanentFailure(err)).toBe(`Slack refused the request (${error})`);
    },
  );

  it.each(["internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"])("not Slack answering %s", async (error) => {
    slack.failNext("chat.postMessage", { error });
    const err = await thrownBy(() => client().chat.postMessage({ channel: "C0MTLS0001", text: "hi" }));
    expect(err).toBeDefined();
    expect(permanentFailure(err)).toBeUndefined();
  });

  it("not Slack failing with HTTP 5xx, rejecting a rate-limited call, or being unreachable", async () => {
    slack.failNext("chat.postMessage", { status: 503 });
    expect(permanentFailure(await thrownBy(() => client().chat.postMessage({ channel: "C0MTLS0001", text: "hi" })))).toBeUndefined();
    slack.failNext("chat.postMessage", { status: 429, retryAfter: 30 });
    const limited = await thrownBy(() => client({ rejectRateLimitedCalls: true }).chat.postMessage({ channel: "C0MTLS0001", text: "hi" }));
    expect(limited).toBeDefined();
    expect(permanentFailure(limited)).toBeUndefined();
    const nowhere = new WebClient("xoxb-test", { slackApiUrl: `http://127.0.0.1:${await freePort()}/api/`, retryConfig: { retries: 0 } });
    const unreachable = await thrownBy(() => nowhere.chat.postMessage({ channel: "C0MTLS0001", text: "hi" }));
    expect(unreachable).toBeDefined();
    expect(permanentFailure(unreachable)).toBeUndefined();
  });

  it("the API server refusing the worker's ServiceAccount, but not the API server failing", async () => {
    const core = kube.kubeConfig().makeApiClient(CoreV1Api);
    kube.setOptions({ forbid: [{ verb: "list", resource: "pods", times: 1 }] });
    expect(permanentFailure(await thrownBy(() => core.listNamespacedPod({ namespace: "shop" })))).toMatch(/HTTP 403.*ServiceAccount and RBAC/);
    kube.setOptions({ forbid: [], fail: [{ verb: "list", resource: "pods", status: 500, times: 1 }] });
    const failed = await thrownBy(() => core.listNamespacedPod({ namespace: "shop" }));
    expect(failed).toBeDefined();
    expect(permanentFailure(failed)).toBeUndefined();
  });

  it("not anything else", () => {
    expect(permanentFailure(new Error("boom"))).toBeUndefined();
    expect(permanentFailure("boom")).toBeUndefined();
    expect(permanentFailure(undefined)).toBeUndefined();
  });
});
