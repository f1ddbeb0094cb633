// One scan in a process of its own, so that its peak memory (maxRSS) is its alone.
import { diagnose } from "../src/engine/diagnose.js";
import { generateCluster, shapeForPods } from "./generate-cluster.js";

const pods = Number(process.argv[2] ?? "20000");
const report = diagnose(generateCluster(shapeForPods(pods)), { mode: "scan", namespaces: [], now: new Date("2026-11-27T12:00:00Z") });
process.stdout.write(JSON.stringify({ findings: report.findings.length, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n");
