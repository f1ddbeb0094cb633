import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SHARED_DIR, sharedAvailable } from "../support/shared-dir.js";

const scenariosDir = path.join(SHARED_DIR, "scenarios");
const present = sharedAvailable("the shared scenarios") && existsSync(scenariosDir);
const names = present
  ? readdirSync(scenariosDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(scenariosDir, d.name, "case.json")))
      .map((d) => d.name)
      .sort()
  : [];

// The team's own runner, against the built CLI, exactly as DESIGN.md and the scenarios README use it.
describe.skipIf(!present)("shared scenarios through the CLI", () => {
  it.each(names)("%s", (name) => {
    const result = spawnSync(
      process.execPath,
      [path.join(scenariosDir, "check-scenarios.mjs"), scenariosDir, name, "--", process.execPath, "dist/main.js"],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(result.stdout).toContain(`ok   ${name}`);
    expect(result.status).toBe(0);
  });
});
