// npm run bench: timings of the diagnosis on synthetic clusters, reported with ratios against
// baselines measured in the same run (so that the numbers compare across machines).
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { diagnose } from "../src/engine/diagnose.js";
import { generateCluster, shapeForPods } from "./generate-cluster.js";

const SIZES = [1_000, 5_000, 20_000];
const NOW = new Date("2026-11-27T12:00:00Z");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function time(runs: number, fn: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** Peak memory of one scan, measured alone in a child process. */
function scanPeakMb(pods: number): number {
  const script = fileURLToPath(new URL("./scan-once.ts", import.meta.url));
  const result = spawnSync(process.execPath, ["--import", "tsx", script, String(pods)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`scan-once failed: ${result.stderr}`);
  return Number(JSON.parse(result.stdout).maxRssMb);
}

/** A fixed amount of plain work: the machine's speed in the same run. */
function baselineMs(): number {
  return time(5, () => {
    const map = new Map<string, number>();
    for (let i = 0; i < 200_000; i++) map.set(`k${i % 5_000}`, i);
  });
}

const rows: { pods: number; check: number; scan: number; peak: number }[] = [];
const base = baselineMs();
for (const pods of SIZES) {
  const snapshot = generateCluster(shapeForPods(pods));
  const namespaces = Math.round(pods / 100);
  const target = { service: "svc-3", namespace: `team-${Math.floor(namespaces / 2)}` };
  // Each run gets a fresh snapshot object so that nothing is cached from the run before.
  const check = time(7, () => {
    diagnose({ ...snapshot, proxies: new Map() }, { mode: "check", target, from: { name: "svc-4", namespace: target.namespace }, now: NOW });
  });
  const scan = time(3, () => {
    diagnose({ ...snapshot, proxies: new Map() }, { mode: "scan", namespaces: [], now: NOW });
  });
  rows.push({ pods, check, scan, peak: scanPeakMb(pods) });
}

const fmt = (n: number) => n.toFixed(1);
console.log(`baseline (fixed work, same run): ${fmt(base)} ms`);
console.log("| pods | check one service (ms) | check / baseline | scan (ms) | scan / baseline | scan peak RSS (MB) |");
console.log("|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.pods} | ${fmt(r.check)} | ${fmt(r.check / base)} | ${fmt(r.scan)} | ${fmt(r.scan / base)} | ${fmt(r.peak)} |`);
}
const at = (pods: number) => rows.find((r) => r.pods === pods);
const [r5, r20] = [at(5_000), at(20_000)];
if (r5 && r20) {
  console.log(`growth 20k/5k: check ${fmt(r20.check / r5.check)}x, scan ${fmt(r20.scan / r5.scan)}x (linear = 4.0)`);
  const goals = [
    [`check of one service at 20k pods < 100 ms`, r20.check < 100],
    [`scan of 20k pods < 5 s`, r20.scan < 5_000],
    [`scan growth 20k/5k <= 4.5`, r20.scan / r5.scan <= 4.5],
    [`scan peak memory at 20k pods < 400 MB`, r20.peak < 400],
  ] as const;
  for (const [goal, met] of goals) console.log(`${met ? "met " : "MISS"} ${goal}`);
}
