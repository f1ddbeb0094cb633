import type { ProxyStatusEntry } from "../cluster/snapshot.js";

/** Parses `istioctl proxy-status` output (the pre-1.27 table, the 1.27+ table, or `-o json`). */
export function parseProxyStatus(text: string): ProxyStatusEntry[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    throw new Error("proxy-status JSON is not parsed yet");
  }
  const [header = "", ...rows] = trimmed.split("\n");
  const columns = header.trim().split(/\s{2,}/);
  return rows
    .filter((row) => row.trim() !== "")
    .map((row) => {
      const cells = row.trim().split(/\s{2,}/);
      const name = cells[0] ?? "";
      const dot = name.lastIndexOf(".");
      const types: Record<string, string> = {};
      columns.forEach((column, i) => {
        if (["CDS", "LDS", "EDS", "RDS", "ECDS"].includes(column)) types[column] = (cells[i] ?? "").split(" ")[0] ?? "";
      });
      return { pod: `${name.slice(dot + 1)}/${name.slice(0, dot)}`, types };
    });
}
