// slack/manifest.yaml asks for exactly what the code uses: the scopes of src/slack/slack-scopes.ts,
// whose table is itself checked against every Slack call, event and command in src/.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, test } from "vitest";
import { neededBotScopes, SLACK_API_USES } from "../../src/slack/slack-scopes.js";

interface Manifest {
  features?: { slash_commands?: { command: string; usage_hint?: string; description?: string }[]; bot_user?: { display_name?: string } };
  oauth_config?: { scopes?: { bot?: string[]; user?: string[] } };
  settings?: { event_subscriptions?: { bot_events?: string[]; request_url?: string }; socket_mode_enabled?: boolean; interactivity?: { is_enabled?: boolean } };
}

const manifest = parse(readFileSync(path.resolve("slack/manifest.yaml"), "utf8")) as Manifest;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** Every Web API method, event and command the source calls or registers. */
function usesInSource(): Set<string> {
  const found = new Set<string>();
  for (const file of sourceFiles(path.resolve("src"))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\.(chat|files|usergroups|conversations|reactions|users|auth|team|pins|views|apps|bookmarks|emoji)\.([a-zA-Z]+(?:\.[a-zA-Z]+)?)\(/g)) found.add(`${m[1]}.${m[2]}`);
    // files.uploadV2 is the two external-upload methods.
    if (text.includes(".filesUploadV2(")) for (const m of ["files.getUploadURLExternal", "files.completeUploadExternal"]) found.add(m);
    for (const m of text.matchAll(/app\.event\("([a-z_]+)"/g)) found.add(`event:${m[1]}`);
    for (const m of text.matchAll(/app\.command\("(\/[a-z-]+)"/g)) found.add(`command:${m[1]}`);
  }
  return found;
}

describe("the Slack app manifest", () => {
  test("the scope table lists exactly the Slack calls, events and commands of the source", () => {
    expect(usesInSource()).toEqual(new Set(SLACK_API_USES.map((u) => u.use)));
  });

  test("requests every bot scope the code needs and no other, and no user scope", () => {
    expect([...(manifest.oauth_config?.scopes?.bot ?? [])].sort()).toEqual(neededBotScopes());
    expect(neededBotScopes()).toEqual(["chat:write", "commands", "files:write", "reactions:read", "usergroups:read"]);
    expect(manifest.oauth_config?.scopes?.user).toBeUndefined();
  });

  test("has the /mtls command with its usage hint, the reaction_added event, and Socket Mode on", () => {
    const mtls = manifest.features?.slash_commands?.find((c) => c.command === "/mtls");
    expect(mtls?.usage_hint).toMatch(/^check <svc>\[\.<ns>\] .*\| scan .*\| clusters \| help$/);
    expect(manifest.features?.slash_commands).toHaveLength(1);
    expect(manifest.settings?.event_subscriptions?.bot_events).toEqual(["reaction_added"]);
    expect(manifest.settings?.socket_mode_enabled).toBe(true);
    // No buttons or modals: interactivity would only add a request URL to maintain.
    expect(manifest.settings?.interactivity?.is_enabled).toBe(false);
  });
});
