import type { Severity } from "../checks/codes.js";
import { describeObserved } from "../report/describe-observed.js";
import type { Report } from "../report/report.js";

export interface Palette {
  critical(s: string): string;
  warning(s: string): string;
  info(s: string): string;
  ok(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const ansi = (code: number) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;

export const COLOURS: Palette = { critical: ansi(31), warning: ansi(33), info: ansi(36), ok: ansi(32), dim: ansi(2), bold: ansi(1) };
const identity = (s: string) => s;
export const PLAIN: Palette = { critical: identity, warning: identity, info: identity, ok: identity, dim: identity, bold: identity };

const MARK: Record<Severity, string> = { critical: "✖", warning: "▲", info: "●" };

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd());
}

function headline(report: Report): string {
  if (report.target) {
    const from = report.source ? ` from ${report.source.kind} ${report.source.namespace}/${report.source.name}` : "";
    return `${report.target.service}.${report.target.namespace}${from}`;
  }
  if (report.scope) return `scan of ${report.scope.namespaces.length} namespace(s)`;
  return report.findings.some((f) => f.code === "MTLS901") ? "service not found" : "target not resolved";
}

/** What an engineer wants in a terminal: the verdict first, the mTLS table, then each finding with evidence and fix. */
export function renderText(report: Report, p: Palette = PLAIN): string {
  const lines: string[] = [];
  const count = (s: Severity) => report.findings.filter((f) => f.severity === s).length;
  const nothingRan = report.checks.length > 0 && report.checks.every((c) => c.status !== "ran");
  const verdict = nothingRan ? p.warning("UNKNOWN (no check could run)") : report.verdict === "ok" ? p.ok("OK") : p[report.verdict](report.verdict.toUpperCase());
  lines.push(`${p.bold(verdict)}  ${headline(report)}`);
  lines.push(p.dim(`${count("critical")} critical, ${count("warning")} warning, ${count("info")} info`));
  if (report.mtls.length > 0) {
    lines.push("", p.bold("mTLS"));
    const scan = report.mtls.some((r) => r.service !== undefined);
    const observed = report.mtls.some((r) => r.observed !== undefined);
    const header = [...(scan ? ["SERVICE"] : []), "PORT", "CONTAINER", "SERVER", "SET BY", "CLIENT SENDS", "DECIDED BY", "OUTCOME", ...(observed ? ["OBSERVED"] : [])];
    const rows = report.mtls.map((r) => [
      ...(scan ? [r.service ?? ""] : []),
      String(r.port),
      String(r.targetPort),
      r.serverMode,
      r.serverPolicy,
      r.clientSends ?? "-",
      r.clientPolicy ?? "no proxy",
      r.outcome,
      ...(observed ? [describeObserved(r.observed)] : []),
    ]);
    const rendered = table([header, ...rows]);
    lines.push(...rendered.map((l, i) => {
      const row = report.mtls[i - 1];
      const text = `  ${l}`;
      if (i === 0) return p.dim(text);
      return row?.outcome === "refused" ? p.critical(text) : row?.outcome === "plaintext" ? p.warning(text) : text;
    }));
  }
  if (report.findings.length > 0) {
    lines.push("", p.bold("Findings"));
    for (const f of report.findings) {
      lines.push("", `${p[f.severity](`${MARK[f.severity]} ${f.code} ${f.name}`)}  ${p.dim(f.resource)}`);
      lines.push(`  ${f.message}`);
      for (const e of f.evidence) lines.push(p.dim(`    - ${e}`));
      for (const fix of f.fixes) {
        lines.push(`  ${p.bold("fix")} (${fix.risk} risk${fix.manual ? ", apply by hand" : ""}): ${fix.title}`);
        for (const y of fix.yaml.trimEnd().split("\n")) lines.push(p.dim(`    | ${y}`));
      }
    }
  }
  const certs = report.proxies.filter((px) => px.certificates.length > 0);
  if (certs.length > 0) {
    lines.push("", p.bold("Certificates"));
    for (const px of certs) {
      lines.push(`  ${px.pod}`);
      const rows = px.certificates.map((c) => [c.name, c.type, c.serial, c.notBefore, c.notAfter, c.valid ? "valid" : "NOT VALID"]);
      lines.push(...table([["NAME", "TYPE", "SERIAL", "NOT BEFORE", "NOT AFTER", "STATUS"], ...rows]).map((l) => `    ${l}`));
    }
  }
  const ran = report.checks.filter((c) => c.status === "ran").length;
  const notRun = report.checks.filter((c) => c.status !== "ran");
  lines.push("", p.dim(`checks: ${ran} ran, ${notRun.filter((c) => c.status === "skipped").length} skipped, ${notRun.filter((c) => c.status === "failed").length} failed`));
  for (const c of notRun) lines.push(p.dim(`  ${c.status} ${c.name}: ${c.detail}`));
  // A check that ran may still say what it could not see (proxies left out, counters trimmed).
  for (const c of report.checks.filter((x) => x.status === "ran" && x.detail.includes("; "))) {
    lines.push(p.dim(`  note ${c.name}: ${c.detail.slice(c.detail.indexOf("; ") + 2)}`));
  }
  return lines.join("\n") + "\n";
}
