// No container engine runs here, so the image is checked by reading its Dockerfile: what the chart
// relies on (a non-root numeric user, `node dist/main.js <role>`, no dev dependencies) must hold.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { defaultValues } from "./support/render-chart.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
const dockerignore = readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim());
const stages = dockerfile.split(/^FROM /m).slice(1);
const runtime = stages[stages.length - 1] ?? "";

describe("Dockerfile", () => {
  test("builds in separate stages and runs Node 20", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20[-.\w]*$/m);
    expect(dockerfile).toMatch(/^ARG RUNTIME_IMAGE=\S*nodejs20\S*$/m);
  });

  test("the runtime stage holds production dependencies, the compiled code and package.json (ESM), nothing else", () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=deps \/app\/node_modules \.\/node_modules/);
    expect(runtime).toMatch(/COPY --from=build \/src\/dist \.\/dist/);
    expect(runtime).toMatch(/COPY package\.json \.\//);
    expect(runtime).not.toMatch(/COPY (src|test|\.) /);
  });

  test("runs as the numeric non-root user the chart's securityContext names", () => {
    const user = /^USER (\d+):(\d+)$/m.exec(runtime);
    const pod = defaultValues()["podSecurityContext"] as { runAsUser: number; runAsGroup: number };
    expect(user?.slice(1).map(Number)).toEqual([pod.runAsUser, pod.runAsGroup]);
  });

  test("starts `node dist/main.js <role>`: the chart passes the role as the argument", () => {
    expect(runtime).toMatch(/^ENTRYPOINT \["\/nodejs\/bin\/node", "\/app\/dist\/main\.js"\]$/m);
    expect(runtime).toMatch(/^CMD \["all"\]$/m);
  });

  test("istioctl is optional: a build argument, checked against its published SHA-256", () => {
    expect(dockerfile).toMatch(/^ARG ISTIOCTL_VERSION=""$/m);
    expect(dockerfile).toMatch(/if \[ -n "\$\{ISTIOCTL_VERSION\}" \]/);
    expect(dockerfile).toMatch(/sha256sum -c/);
    expect(runtime).toMatch(/COPY --from=istioctl \/out\/ \/usr\/local\/bin\//);
  });

  test(".dockerignore keeps secrets, dependencies and build output out of the context", () => {
    for (const entry of [".env", ".env.*", "node_modules", "dist", ".git", "test", "charts"]) expect(dockerignore).toContain(entry);
  });
});
