/** One sample of the Prometheus text exposition format: `name{label="value",...} 42`. */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** Samples by metric name: an Envoy sidecar prints thousands of lines, a check asks for a few names. */
export type SampleIndex = ReadonlyMap<string, readonly Sample[]>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/**
 * Parses `stats/prometheus` output (Envoy's counters, gauges and histograms, and Istio's standard
 * metrics). Comments (`# TYPE`, `# HELP`) and lines that are not samples are skipped: a truncated or
 * partly garbled capture still gives what it holds. Label values are unescaped (`\\`, `\"`, `\n`).
 */
export function parsePrometheusText(text: string): SampleIndex {
  const index = new Map<string, Sample[]>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const sample = parseSampleLine(line);
    if (!sample) continue;
    let list = index.get(sample.name);
    if (!list) index.set(sample.name, (list = []));
    list.push(sample);
  }
  return index;
}

function parseSampleLine(line: string): Sample | undefined {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return undefined;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    const parsed = parseLabels(rest);
    if (!parsed) return undefined;
    Object.assign(labels, parsed.labels);
    rest = rest.slice(parsed.length);
  }
  const valueText = rest.trim().split(/\s+/)[0];
  if (valueText === undefined || valueText === "") return undefined;
  const value = Number(valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : valueText);
  if (Number.isNaN(value) && valueText !== "NaN") return undefined;
  return { name, labels, value };
}

/** Reads `{a="x",b="y"}` from the start of `text`; returns the labels and how many characters they took. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } | undefined {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (text[i] === " " || text[i] === ",") i++;
    if (text[i] === "}") return { labels, length: i + 1 };
    const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0];
    if (key === undefined) return undefined;
    i += key.length;
    if (text[i] !== "=" || text[i + 1] !== '"') return undefined;
    i += 2;
    let value = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === "\\") {
        const next = text[i + 1];
        value += next === "n" ? "\n" : (next ?? "");
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[key] = value;
    i++;
  }
}

/** The samples of a metric whose labels match every given value. */
export function samplesOf(index: SampleIndex, name: string, match: (labels: Readonly<Record<string, string>>) => boolean = () => true): Sample[] {
  return (index.get(name) ?? []).filter((s) => match(s.labels));
}

/** The sum of the matching samples' values (0 when there are none). */
export function sumOf(index: SampleIndex, name: string, match?: (labels: Readonly<Record<string, string>>) => boolean): number {
  return samplesOf(index, name, match).reduce((total, s) => total + (Number.isFinite(s.value) ? s.value : 0), 0);
}
