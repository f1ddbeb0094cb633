// The chart's templates, rendered with every CI values file by the Go-template subset of
// support/go-template.ts: well-formed objects, restricted pods, probes, the two bot modes, Redis
// wiring, and an environment that covers .env.example.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { TemplateSet } from "./support/go-template.js";
import { container, env, podSpecs, renderCi, type Container } from "./support/manifests.js";
import { byKind, CHART_DIR, ciValueFiles, defaultValues, templateFiles, type Manifest, type Rendered } from "./support/render-chart.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CI = ciValueFiles().map((f) => path.basename(f, "-values.yaml"));
const rendered = new Map<string, Rendered>(CI.map((name) => [name, renderCi(name)]));
const render = (name: string): Rendered => rendered.get(name) ?? renderCi(name);

describe("template files", () => {
  test.each(templateFiles())("%s parses: actions close, blocks balance", (file) => {
    const set = new TemplateSet();
    expect(() => set.add(file, readFileSync(path.join(CHART_DIR, "templates", file), "utf8"))).not.toThrow();
  });

  test.each([
    ["an if without end", "{{- if .Values.a }}\nx: 1\n"],
    ["an end too many", "x: 1\n{{- end }}\n"],
    ["an else outside a block", "{{ else }}\n"],
    ["an unclosed action", "name: {{ .Values.a \n"],
  ])("the parser refuses %s", (_what, source) => {
    expect(() => new TemplateSet().add("broken.yaml", source)).toThrow();
  });

  test("every .Values path the templates read exists in values.yaml (a misspelt one would render as empty)", () => {
    const defaults = defaultValues();
    const exists = (dotted: string) =>
      dotted.split(".").reduce<{ ok: boolean; at: unknown }>(
        ({ ok, at }, key) => {
          const next = ok && typeof at === "object" && at !== null && key in at ? (at as Record<string, unknown>)[key] : undefined;
          return { ok: ok && next !== undefined, at: next };
        },
        { ok: true, at: defaults },
      ).ok;
    const missing = templateFiles().flatMap((file) =>
      [...readFileSync(path.join(CHART_DIR, "templates", file), "utf8").matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)]
        .map((m) => (m[1] ?? "").slice(1))
        .filter((dotted) => !exists(dotted))
        .map((dotted) => `${file}: .Values.${dotted}`),
    );
    expect(missing).toEqual([]);
  });

  test("every template but the partials and NOTES.txt is a .yaml file", () => {
    expect(templateFiles().filter((f) => !f.startsWith("_") && f !== "NOTES.txt" && !f.endsWith(".yaml"))).toEqual([]);
  });
});

describe.each(CI)("rendered with ci/%s-values.yaml", (name) => {
  const r = render(name);

  test("every object has an apiVersion, a kind, a DNS name and the chart's labels; no two share a kind and name", () => {
    const seen = new Set<string>();
    for (const m of r.manifests) {
      const id = `${m.kind}/${m.metadata?.name}`;
      expect(m.apiVersion, id).toMatch(/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/);
      expect(m.metadata.name, id).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
      expect(m.metadata.labels?.["app.kubernetes.io/instance"], id).toBe("doctor");
      expect(m.metadata.labels?.["app.kubernetes.io/name"], id).toBe("mtls-doctor");
      expect(seen.has(id), `${id} twice`).toBe(false);
      seen.add(id);
    }
  });

  test("every pod runs restricted: non-root, RuntimeDefault seccomp, read-only root, no escalation, no capabilities", () => {
    const pods = podSpecs(r);
    expect(pods.length).toBeGreaterThan(0);
    for (const { owner, spec } of pods) {
      const where = `${owner.kind}/${owner.metadata.name}`;
      expect(spec.securityContext?.["runAsNonRoot"], where).toBe(true);
      expect(spec.securityContext?.["seccompProfile"], where).toEqual({ type: "RuntimeDefault" });
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        expect(c.securityContext?.["runAsNonRoot"], `${where} ${c.name}`).toBe(true);
        expect(c.securityContext?.["readOnlyRootFilesystem"], `${where} ${c.name}`).toBe(true);
        expect(c.securityContext?.["allowPrivilegeEscalation"], `${where} ${c.name}`).toBe(false);
        expect(c.securityContext?.["privileged"], `${where} ${c.name}`).toBe(false);
        expect(c.securityContext?.["capabilities"], `${where} ${c.name}`).toEqual({ drop: ["ALL"] });
        expect(c.resources?.["requests"], `${where} ${c.name}`).toBeDefined();
        expect(c.resources?.["limits"], `${where} ${c.name}`).toBeDefined();
      }
    }
  });

  test("the bot and the worker have liveness on /healthz and readiness on /readyz, on METRICS_PORT", () => {
    const components = (["bot", "worker"] as const).filter((c) => byKind(r, "Deployment").has(`doctor-mtls-doctor-${c}`));
    expect(components.length).toBeGreaterThan(0);
    for (const component of components) {
      const c = container(r, component);
      expect(c.args).toEqual([component]);
      expect(c.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "metrics" });
      expect(c.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "metrics" });
      const metricsPort = c.ports?.find((p) => p.name === "metrics")?.containerPort;
      expect(String(metricsPort)).toBe(env(c).get("METRICS_PORT")?.value);
    }
  });

  test("environment values and arguments are strings (Kubernetes refuses numbers and YAML 1.1 booleans there)", () => {
    for (const { owner, spec } of podSpecs(r)) {
      for (const c of spec.containers) {
        for (const e of c.env ?? []) {
          if (e.value !== undefined) expect(typeof e.value, `${owner.metadata.name} ${c.name} ${e.name}`).toBe("string");
        }
        for (const a of [...(c.args ?? []), ...(c.command ?? [])]) expect(typeof a, `${owner.metadata.name} ${c.name} ${String(a)}`).toBe("string");
      }
    }
  });

  test("the bot never gets Kubernetes credentials", () => {
    const bot = podSpecs(r).find(({ owner }) => owner.metadata.name === "doctor-mtls-doctor-bot");
    if (!bot) return;
    expect(bot.spec.automountServiceAccountToken).toBe(false);
    expect(bot.spec.serviceAccountName).toBe("doctor-mtls-doctor-bot");
    expect(byKind(r, "ServiceAccount").get("doctor-mtls-doctor-bot")?.["automountServiceAccountToken"]).toBe(false);
  });

  test("Secrets the pods read are the chart's own or the ones the values name", () => {
    const own = new Set(r.manifests.filter((m) => m.kind === "Secret").map((m) => m.metadata.name));
    const values = ciValues(name);
    const named = new Set([values.slackSecret, values.redisSecret].filter((s): s is string => typeof s === "string"));
    for (const { spec } of podSpecs(r)) {
      for (const c of spec.containers) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) expect(own.has(ref.name) || named.has(ref.name), `${c.name} ${e.name} reads Secret ${ref.name}`).toBe(true);
        }
      }
    }
  });

  test("NOTES.txt renders, with the preflight command to run in the worker (the image has node, not a mtls-doctor binary)", () => {
    expect(r.notes).toContain('installed as "doctor"');
    const worker = r.manifests.some((m) => m.kind === "Deployment" && m.metadata.name === "doctor-mtls-doctor-worker");
    expect(r.notes.includes("kubectl -n mtls-doctor exec deploy/doctor-mtls-doctor-worker -- /nodejs/bin/node /app/dist/main.js preflight")).toBe(worker);
  });
});

/** The Secret names a CI file points the pods at. */
function ciValues(name: string): { slackSecret?: unknown; redisSecret?: unknown } {
  const file = path.join(CHART_DIR, "ci", `${name}-values.yaml`);
  const text = readFileSync(file, "utf8");
  return {
    slackSecret: /existingSecret: (mtls-doctor-slack)/.exec(text)?.[1],
    redisSecret: /existingSecret: (mtls-doctor-redis)/.exec(text)?.[1],
  };
}

function envNames(c: Container): string[] {
  return (c.env ?? []).map((e) => e.name);
}

describe("bot modes", () => {
  test("Socket Mode (default): the app-level token, no signing secret, no Service, no Ingress", () => {
    const r = render("socket-mode");
    const names = envNames(container(r, "bot"));
    expect(names).toContain("SLACK_APP_TOKEN");
    expect(names).not.toContain("SLACK_SIGNING_SECRET");
    expect(names).not.toContain("PORT");
    expect(byKind(r, "Service").has("doctor-mtls-doctor-bot")).toBe(false);
    expect(byKind(r, "Ingress").size).toBe(0);
  });

  test("HTTP mode: the signing secret and PORT, never the app token (it would switch Bolt to Socket Mode)", () => {
    const c = container(render("http-ingress"), "bot");
    const e = env(c);
    expect(e.get("SLACK_SIGNING_SECRET")?.valueFrom?.secretKeyRef).toEqual({ name: "mtls-doctor-slack", key: "signing-secret" });
    expect(e.get("PORT")?.value).toBe("3000");
    expect(e.has("SLACK_APP_TOKEN")).toBe(false);
    expect(c.ports?.find((p) => p.name === "http")?.containerPort).toBe(3000);
  });

  test("HTTP mode: a Service on the http port and an Ingress that routes only /slack/events to it", () => {
    const r = render("http-ingress");
    const service = byKind(r, "Service").get("doctor-mtls-doctor-bot") as Manifest;
    expect((service["spec"] as { ports: unknown[] }).ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
    const ingress = byKind(r, "Ingress").get("doctor-mtls-doctor-bot") as Manifest;
    const spec = ingress["spec"] as { ingressClassName: string; rules: { host: string; http: { paths: unknown[] } }[]; tls: unknown[] };
    expect(spec.ingressClassName).toBe("nginx");
    expect(spec.rules).toEqual([
      {
        host: "mtls-doctor.example.com",
        http: { paths: [{ path: "/slack/events", pathType: "Prefix", backend: { service: { name: "doctor-mtls-doctor-bot", port: { name: "http" } } } }] },
      },
    ]);
    expect(spec.tls).toEqual([{ secretName: "mtls-doctor-tls", hosts: ["mtls-doctor.example.com"] }]);
    expect(r.notes).toContain("https://mtls-doctor.example.com/slack/events");
  });

  test("HTTP mode: only the ingress controller's namespace may reach the bot's port", () => {
    const policy = byKind(render("http-ingress"), "NetworkPolicy").get("doctor-mtls-doctor-bot") as Manifest;
    const ingress = (policy["spec"] as { ingress: { ports: { port: number }[]; from?: unknown[] }[] }).ingress;
    expect(ingress.find((i) => i.ports[0]?.port === 3000)?.from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
    ]);
  });
});

describe("workers and clusters", () => {
  test("the worker diagnoses its cluster under its own ServiceAccount, with a writable /tmp", () => {
    const r = render("spoke-worker");
    const worker = podSpecs(r).find(({ owner }) => owner.metadata.name === "doctor-mtls-doctor-worker");
    expect(worker?.spec.serviceAccountName).toBe("doctor-mtls-doctor-worker");
    expect(worker?.spec.automountServiceAccountToken).toBe(true);
    const e = env(container(r, "worker"));
    expect(e.get("CLUSTER_NAME")?.value).toBe("payments-eu");
    expect(e.get("HOME")?.value).toBe("/tmp");
    expect(container(r, "worker").securityContext?.["readOnlyRootFilesystem"]).toBe(true);
  });

  test("a spoke runs only a worker: no bot, no Redis, the hub's Redis from a Secret", () => {
    const r = render("spoke-worker");
    expect(byKind(r, "Deployment").has("doctor-mtls-doctor-bot")).toBe(false);
    expect(byKind(r, "StatefulSet").size).toBe(0);
    expect((byKind(r, "Deployment").get("doctor-mtls-doctor-worker")?.["spec"] as { replicas: number }).replicas).toBe(2);
    expect(env(container(r, "worker")).get("REDIS_URL")?.valueFrom?.secretKeyRef).toEqual({ name: "mtls-doctor-redis", key: "redis-url" });
  });

  test("FIXES_ENABLED follows fixes.enabled on both components", () => {
    for (const [name, expected] of [["socket-mode", "false"], ["fixes-enabled", "true"]] as const) {
      for (const component of ["bot", "worker"] as const) expect(env(container(render(name), component)).get("FIXES_ENABLED")?.value).toBe(expected);
    }
  });

  test("every variable of .env.example is set by the chart in some configuration, but KUBECONFIG (in-cluster)", () => {
    const documented = readFileSync(path.join(ROOT, ".env.example"), "utf8")
      .split("\n")
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((n): n is string => n !== undefined);
    const set = new Set<string>();
    const withProxy = renderCi("http-ingress", { slack: { apiUrl: "https://slack-proxy.example.com/api/" } });
    for (const r of [...rendered.values(), withProxy]) {
      for (const component of ["bot", "worker"] as const) {
        if (byKind(r, "Deployment").has(`doctor-mtls-doctor-${component}`)) for (const n of envNames(container(r, component))) set.add(n);
      }
    }
    expect(documented.filter((n) => n !== "KUBECONFIG" && !set.has(n))).toEqual([]);
  });
});

describe("Redis", () => {
  test("bundled: one StatefulSet with the append-only file and noeviction, a password, a volume", () => {
    const r = render("socket-mode");
    const [sts] = podSpecs(r).filter(({ owner }) => owner.kind === "StatefulSet");
    const redis = sts?.spec.containers[0];
    const args = (redis?.args ?? []).join(" ");
    expect(args).toContain("--appendonly yes");
    expect(args).toContain("--maxmemory-policy noeviction");
    expect(args).toContain("--requirepass $(REDIS_PASSWORD)");
    expect(sts?.spec.automountServiceAccountToken).toBe(false);
    expect((sts?.owner["spec"] as { volumeClaimTemplates: unknown[] }).volumeClaimTemplates).toHaveLength(1);
    const e = env(container(r, "worker"));
    expect(e.get("REDIS_PASSWORD")?.valueFrom?.secretKeyRef).toEqual({ name: "doctor-mtls-doctor-redis", key: "redis-password" });
    expect(e.get("REDIS_URL")?.value).toBe("redis://:$(REDIS_PASSWORD)@doctor-mtls-doctor-redis:6379");
    expect(byKind(r, "Secret").get("doctor-mtls-doctor-redis")?.["data"]).toHaveProperty("redis-password");
  });

  test("bundled without auth or persistence: a plain URL and an emptyDir", () => {
    const r = render("no-exec");
    expect(env(container(r, "bot")).get("REDIS_URL")?.value).toBe("redis://doctor-mtls-doctor-redis:6379");
    expect(byKind(r, "Secret").has("doctor-mtls-doctor-redis")).toBe(false);
    const [sts] = podSpecs(r).filter(({ owner }) => owner.kind === "StatefulSet");
    expect((sts?.owner["spec"] as Record<string, unknown>)["volumeClaimTemplates"]).toBeUndefined();
  });

  test("only this release's bot and workers may reach the bundled Redis, and it reaches nothing", () => {
    const policy = byKind(render("socket-mode"), "NetworkPolicy").get("doctor-mtls-doctor-redis") as Manifest;
    expect(policy["spec"]).toMatchObject({
      policyTypes: ["Ingress", "Egress"],
      egress: [],
      ingress: [
        {
          from: [
            {
              podSelector: {
                matchLabels: { "app.kubernetes.io/name": "mtls-doctor", "app.kubernetes.io/instance": "doctor" },
                matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["bot", "worker"] }],
              },
            },
          ],
          ports: [{ port: 6379, protocol: "TCP" }],
        },
      ],
    });
  });

  test("Sentinel: REDIS_SENTINELS and REDIS_SENTINEL_NAME, no URL, no bundled Redis", () => {
    const r = render("redis-sentinel");
    const e = env(container(r, "worker"));
    expect(e.get("REDIS_SENTINELS")?.value).toBe("redis-sentinel-0.redis.svc:26379,redis-sentinel-1.redis.svc:26379,redis-sentinel-2.redis.svc:26379");
    expect(e.get("REDIS_SENTINEL_NAME")?.value).toBe("mymaster");
    expect(e.has("REDIS_URL")).toBe(false);
    expect(byKind(r, "StatefulSet").size).toBe(0);
  });

  test("Redis Cluster: the queue prefix carries a hash tag", () => {
    const r = render("redis-cluster");
    for (const component of ["bot", "worker"] as const) expect(env(container(r, component)).get("QUEUE_PREFIX")?.value).toBe("{mtls}");
    expect(env(container(r, "bot")).get("REDIS_URL")?.valueFrom?.secretKeyRef).toEqual({ name: "mtls-doctor-redis", key: "url" });
  });
});

describe("chart files", () => {
  test("Chart.yaml is a v2 application chart whose appVersion is the package's version", () => {
    const chart = readFileSync(path.join(CHART_DIR, "Chart.yaml"), "utf8");
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(chart).toMatch(/^apiVersion: v2$/m);
    expect(chart).toMatch(/^name: mtls-doctor$/m);
    expect(chart).toMatch(/^type: application$/m);
    expect(chart).toContain(`appVersion: "${pkg.version}"`);
  });

  test("every named template is prefixed with the chart name", () => {
    const helpers = readFileSync(path.join(CHART_DIR, "templates", "_helpers.tpl"), "utf8");
    const names = [...helpers.matchAll(/define "([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !n.startsWith("mtls-doctor."))).toEqual([]);
  });
});
