import { readFileSync } from "node:fs";
import path from "node:path";

/** Istio's own test data, vendored unchanged with its licence note (test/fixtures/upstream/NOTICE.md). */
export const UPSTREAM_DIR = path.resolve(process.cwd(), "test/fixtures/upstream");

export function upstreamPath(...parts: string[]): string {
  return path.join(UPSTREAM_DIR, ...parts);
}

export function readUpstreamJson(...parts: string[]): unknown {
  return JSON.parse(readFileSync(upstreamPath(...parts), "utf8"));
}

export function readUpstreamText(...parts: string[]): string {
  return readFileSync(upstreamPath(...parts), "utf8");
}
