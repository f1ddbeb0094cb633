// A small interpreter of Go's text/template, with the Helm and Sprig functions that charts/mtls-doctor
// uses, so that the chart's templates can be rendered and checked where helm cannot be installed. It is
// not Helm: `.ci/run` runs `helm lint` and `helm template` wherever helm is on PATH. Anything outside the
// subset (an unknown function, a field of nil, an unbalanced block) is an error, never skipped, so a
// template that this interpreter cannot read fails its test instead of passing unchecked.
//
// Supported: text with `{{- ` / ` -}}` trimming, comments, `if / else if / else`, `with / else`,
// `range` (with `$i, $v :=`), `define`, `template`, variables (`:=`, `=`), pipelines, parenthesised
// pipelines with a field chain, and the functions in FUNCTIONS below.

import { createHash, randomBytes } from "node:crypto";
import { stringify } from "yaml";

type Value = unknown;

interface Arg {
  kind: "dot" | "field" | "var" | "ident" | "lit" | "pipe";
  chain?: string[];
  name?: string;
  value?: Value;
  pipe?: Pipe;
}

interface Pipe {
  decl?: { vars: string[]; assign: boolean };
  cmds: Arg[][];
}

type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Pipe; where: string }
  | { kind: "if"; branches: { pipe: Pipe; body: Node[] }[]; otherwise: Node[] | undefined; where: string }
  | { kind: "with" | "range"; pipe: Pipe; body: Node[]; otherwise: Node[] | undefined; where: string }
  | { kind: "template"; name: string; pipe: Pipe | undefined; where: string };

/** A template error, naming the file and line of the action. */
export class TemplateError extends Error {
  override readonly name = "TemplateError";
}

// ---- Lexing: text and actions ----------------------------------------------------------------------

interface Segment {
  text?: string;
  action?: string;
  where: string;
}

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

function segments(source: string, file: string): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  let trimNext = false;
  const lineAt = (i: number) => source.slice(0, i).split("\n").length;
  while (pos < source.length) {
    const open = source.indexOf("{{", pos);
    let text = source.slice(pos, open === -1 ? source.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, "");
    trimNext = false;
    if (open === -1) {
      out.push({ text, where: `${file}:${lineAt(pos)}` });
      break;
    }
    let bodyStart = open + 2;
    if (source[bodyStart] === "-" && isSpace(source[bodyStart + 1])) {
      text = text.replace(/[ \t\r\n]+$/, "");
      bodyStart += 1;
    }
    out.push({ text, where: `${file}:${lineAt(pos)}` });
    const close = findClose(source, bodyStart, file, lineAt(open));
    let body = source.slice(bodyStart, close);
    if (/[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -1);
      trimNext = true;
    }
    out.push({ action: body.trim(), where: `${file}:${lineAt(open)}` });
    pos = close + 2;
  }
  return out;
}

/** The `}}` that closes an action, skipping strings and comments. */
function findClose(source: string, from: number, file: string, line: number): number {
  let i = from;
  while (i < source.length) {
    const c = source[i];
    if (c === '"') {
      i++;
      while (i < source.length && source[i] !== '"') i += source[i] === "\\" ? 2 : 1;
    } else if (c === "`") {
      i = source.indexOf("`", i + 1);
      if (i === -1) break;
    } else if (c === "/" && source[i + 1] === "*") {
      i = source.indexOf("*/", i + 2);
      if (i === -1) break;
      i++;
    } else if (c === "}" && source[i + 1] === "}") {
      return i;
    }
    i++;
  }
  throw new TemplateError(`${file}:${line}: unclosed action`);
}

// ---- Tokens inside an action ---------------------------------------------------------------------

interface Token {
  type: "string" | "number" | "field" | "var" | "ident" | "punct";
  text: string;
  /** Whitespace separated it from the previous token (`(x).Field` versus `(x) .Field`). */
  spaced: boolean;
}

function tokens(body: string, where: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let spaced = true;
  while (i < body.length) {
    const c = body[i] ?? "";
    if (isSpace(c)) {
      i++;
      spaced = true;
      continue;
    }
    const rest = body.slice(i);
    const match =
      /^"(?:[^"\\]|\\.)*"/.exec(rest) ??
      /^`[^`]*`/.exec(rest) ??
      /^-?[0-9]+(?:\.[0-9]+)?/.exec(rest) ??
      /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(rest) ??
      /^\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest) ??
      /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ??
      /^(?::=|[()|=,.])/.exec(rest);
    if (!match) throw new TemplateError(`${where}: unexpected "${c}" in action`);
    const text = match[0];
    const type: Token["type"] =
      text.startsWith('"') || text.startsWith("`")
        ? "string"
        : /^-?[0-9]/.test(text)
          ? "number"
          : text.startsWith("$")
            ? "var"
            : text.startsWith(".") && text.length > 1
              ? "field"
              : /^[A-Za-z_]/.test(text)
                ? "ident"
                : "punct";
    out.push({ type, text, spaced });
    spaced = false;
    i += text.length;
  }
  return out;
}

// ---- Parsing ---------------------------------------------------------------------------------------

class PipeParser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly where: string,
  ) {}

  parse(): Pipe {
    const pipe = this.pipeline();
    if (this.i < this.toks.length) throw new TemplateError(`${this.where}: unexpected "${this.toks[this.i]?.text}"`);
    return pipe;
  }

  private peek(): Token | undefined {
    return this.toks[this.i];
  }

  private pipeline(): Pipe {
    const pipe: Pipe = { cmds: [] };
    const decl = this.declaration();
    if (decl) pipe.decl = decl;
    for (;;) {
      const cmd: Arg[] = [];
      while (this.peek() && !["|", ")"].includes(this.peek()?.text ?? "")) cmd.push(this.operand());
      if (cmd.length === 0) throw new TemplateError(`${this.where}: empty command`);
      pipe.cmds.push(cmd);
      if (this.peek()?.text !== "|") break;
      this.i++;
    }
    return pipe;
  }

  /** `$a :=`, `$a, $b :=` or `$a =` at the start of a pipeline. */
  private declaration(): Pipe["decl"] {
    const vars: string[] = [];
    let j = this.i;
    while (this.toks[j]?.type === "var" && !this.toks[j]?.text.includes(".")) {
      vars.push(this.toks[j]?.text ?? "");
      j++;
      if (this.toks[j]?.text === ",") j++;
      else break;
    }
    const op = this.toks[j]?.text;
    if (vars.length === 0 || (op !== ":=" && op !== "=")) return undefined;
    this.i = j + 1;
    return { vars, assign: op === "=" };
  }

  private operand(): Arg {
    const tok = this.toks[this.i++];
    if (!tok) throw new TemplateError(`${this.where}: missing operand`);
    switch (tok.type) {
      case "string":
        return { kind: "lit", value: tok.text.startsWith("`") ? tok.text.slice(1, -1) : (JSON.parse(tok.text) as string) };
      case "number":
        return { kind: "lit", value: Number(tok.text) };
      case "field":
        return { kind: "field", chain: tok.text.slice(1).split(".") };
      case "var": {
        const [name = "$", ...chain] = tok.text.split(".");
        return { kind: "var", name, chain };
      }
      case "ident":
        if (tok.text === "true" || tok.text === "false") return { kind: "lit", value: tok.text === "true" };
        if (tok.text === "nil") return { kind: "lit", value: null };
        return { kind: "ident", name: tok.text };
      case "punct":
        if (tok.text === ".") return { kind: "dot" };
        if (tok.text === "(") {
          const pipe = this.pipeline();
          if (this.toks[this.i++]?.text !== ")") throw new TemplateError(`${this.where}: missing ")"`);
          const next = this.peek();
          const chain = next?.type === "field" && !next.spaced ? (this.i++, next.text.slice(1).split(".")) : [];
          return { kind: "pipe", pipe, chain };
        }
        throw new TemplateError(`${this.where}: unexpected "${tok.text}"`);
    }
  }
}

function parsePipe(text: string, where: string): Pipe {
  return new PipeParser(tokens(text, where), where).parse();
}

const KEYWORD = /^(if|else|end|with|range|define|template|block)\b\s*/;

/** Parses a file into its top-level nodes and the `define`d templates it holds. */
function parseFile(source: string, file: string, defines: Map<string, Node[]>): Node[] {
  const segs = segments(source, file);
  let k = 0;

  const list = (closers: readonly string[]): { nodes: Node[]; closer: string; rest: string; where: string } => {
    const nodes: Node[] = [];
    while (k < segs.length) {
      const seg = segs[k++] as Segment;
      if (seg.text !== undefined) {
        if (seg.text !== "") nodes.push({ kind: "text", text: seg.text });
        continue;
      }
      const body = seg.action ?? "";
      if (body.startsWith("/*")) {
        if (!body.endsWith("*/")) throw new TemplateError(`${seg.where}: a comment must fill its action`);
        continue;
      }
      const kw = KEYWORD.exec(body);
      const keyword = kw?.[1];
      const rest = kw ? body.slice(kw[0].length) : body;
      if (keyword === "end" || keyword === "else") {
        if (!closers.includes(keyword)) throw new TemplateError(`${seg.where}: unexpected {{${keyword}}}`);
        return { nodes, closer: keyword, rest, where: seg.where };
      }
      if (keyword === "if") nodes.push(ifNode(rest, seg.where));
      else if (keyword === "with" || keyword === "range") {
        const body1 = list(["end", "else"]);
        let otherwise: Node[] | undefined;
        if (body1.closer === "else") {
          if (body1.rest !== "") throw new TemplateError(`${body1.where}: "else ${body1.rest}" is not supported after ${keyword}`);
          otherwise = list(["end"]).nodes;
        }
        nodes.push({ kind: keyword, pipe: parsePipe(rest, seg.where), body: body1.nodes, otherwise, where: seg.where });
      } else if (keyword === "define") {
        const name = JSON.parse(rest) as string;
        defines.set(name, list(["end"]).nodes);
      } else if (keyword === "template") {
        const m = /^("(?:[^"\\]|\\.)*")\s*(.*)$/.exec(rest);
        if (!m) throw new TemplateError(`${seg.where}: template needs a quoted name`);
        const pipeText = m[2] ?? "";
        nodes.push({ kind: "template", name: JSON.parse(m[1] ?? '""') as string, pipe: pipeText ? parsePipe(pipeText, seg.where) : undefined, where: seg.where });
      } else if (keyword === "block") {
        throw new TemplateError(`${seg.where}: block is not supported`);
      } else {
        nodes.push({ kind: "action", pipe: parsePipe(body, seg.where), where: seg.where });
      }
    }
    if (closers.length > 0) throw new TemplateError(`${file}: missing {{end}}`);
    return { nodes, closer: "", rest: "", where: file };
  };

  const ifNode = (condition: string, where: string): Node => {
    const branches: { pipe: Pipe; body: Node[] }[] = [];
    let pipeText = condition;
    let pipeWhere = where;
    for (;;) {
      const part = list(["end", "else"]);
      branches.push({ pipe: parsePipe(pipeText, pipeWhere), body: part.nodes });
      if (part.closer === "end") return { kind: "if", branches, otherwise: undefined, where };
      const elseIf = /^if\b\s*/.exec(part.rest);
      if (elseIf) {
        pipeText = part.rest.slice(elseIf[0].length);
        pipeWhere = part.where;
        continue;
      }
      if (part.rest !== "") throw new TemplateError(`${part.where}: "else ${part.rest}" is not supported`);
      return { kind: "if", branches, otherwise: list(["end"]).nodes, where };
    }
  };

  return list([]).nodes;
}

// ---- Values as Go sees them ------------------------------------------------------------------------

type Dict = Record<string, Value>;

function isDict(v: Value): v is Dict {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Go's notion of "true" in if/with/and/or/not. */
export function truthy(v: Value): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v !== "";
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

/** `fmt.Sprint` of a value decoded from YAML (numbers are float64 in Helm). */
function goString(v: Value): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") {
    const abs = Math.abs(v);
    if (v !== 0 && (abs >= 1e21 || abs < 1e-4 || (Number.isInteger(v) && abs >= 1e6))) {
      return v.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
    }
    return String(v);
  }
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  if (isDict(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goString(v[k])}`).join(" ")}]`;
  return String(v);
}

function field(v: Value, name: string, where: string): Value {
  if (v === null || v === undefined) throw new TemplateError(`${where}: nil pointer evaluating .${name}`);
  if (!isDict(v)) throw new TemplateError(`${where}: can't evaluate field ${name} in ${goString(v)}`);
  return Object.prototype.hasOwnProperty.call(v, name) ? v[name] : undefined;
}

function toYaml(v: Value): string {
  if (v === null || v === undefined) return "null";
  return stringify(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0 }).replace(/\n$/, "");
}

function sortKeys(v: Value): Value {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isDict(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

function comparable(a: Value, b: Value, where: string): void {
  const kind = (x: Value) => (x === null || x === undefined ? "nil" : typeof x);
  if (kind(a) !== kind(b) && kind(a) !== "nil" && kind(b) !== "nil") {
    throw new TemplateError(`${where}: incompatible types for comparison: ${kind(a)} and ${kind(b)}`);
  }
}

function sprintf(format: string, args: Value[]): string {
  let n = 0;
  return format.replace(/%([%sdvq])/g, (_m, verb: string) => {
    if (verb === "%") return "%";
    const arg = args[n++];
    if (verb === "q") return JSON.stringify(goString(arg));
    if (verb === "d") return String(Math.trunc(Number(arg)));
    return goString(arg);
  });
}

type Fn = (where: string, ...args: Value[]) => Value;

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The functions of Go templates, Sprig and Helm that the chart uses. */
const FUNCTIONS: Record<string, Fn> = {
  default: (_w, d, ...given) => (given.length === 0 || !truthy(given[0]) ? d : given[0]),
  empty: (_w, v) => !truthy(v),
  required: (where, message, v) => {
    if (v === null || v === undefined || v === "") throw new TemplateError(`${where}: ${goString(message)}`);
    return v;
  },
  fail: (where, message) => {
    throw new TemplateError(`${where}: ${goString(message)}`);
  },
  not: (_w, v) => !truthy(v),
  eq: (where, a, ...rest) =>
    rest.some((b) => {
      comparable(a, b, where);
      return (a ?? null) === (b ?? null);
    }),
  ne: (where, a, b) => {
    comparable(a, b, where);
    return (a ?? null) !== (b ?? null);
  },
  lt: (_w, a, b) => Number(a) < Number(b),
  le: (_w, a, b) => Number(a) <= Number(b),
  gt: (_w, a, b) => Number(a) > Number(b),
  ge: (_w, a, b) => Number(a) >= Number(b),
  len: (where, v) => {
    if (typeof v === "string" || Array.isArray(v)) return v.length;
    if (isDict(v)) return Object.keys(v).length;
    throw new TemplateError(`${where}: len of ${goString(v)}`);
  },
  index: (where, coll, ...keys) => {
    let v = coll;
    for (const key of keys) {
      if (Array.isArray(v) && typeof key === "number") {
        if (key < 0 || key >= v.length) throw new TemplateError(`${where}: index out of range: ${key}`);
        v = v[key];
      } else if (isDict(v)) {
        v = v[goString(key)];
      } else {
        throw new TemplateError(`${where}: can't index ${goString(v)} with ${goString(key)}`);
      }
    }
    return v;
  },
  print: (_w, ...args) =>
    args.map((a, i) => (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string" ? " " : "") + goString(a)).join(""),
  printf: (_w, format, ...args) => sprintf(goString(format), args),
  quote: (_w, ...args) => args.filter((a) => a !== null && a !== undefined).map((a) => JSON.stringify(goString(a))).join(" "),
  squote: (_w, ...args) => args.filter((a) => a !== null && a !== undefined).map((a) => `'${goString(a)}'`).join(" "),
  toString: (_w: string, v: Value) => goString(v),
  int: (_w, v) => Math.trunc(Number(v ?? 0)) || 0,
  lower: (_w, s) => goString(s).toLowerCase(),
  upper: (_w, s) => goString(s).toUpperCase(),
  trim: (_w, s) => goString(s).trim(),
  trunc: (_w, n, s) => {
    const str = goString(s);
    const c = Number(n);
    if (c < 0 && str.length > -c) return str.slice(str.length + c);
    if (c >= 0 && str.length > c) return str.slice(0, c);
    return str;
  },
  trimSuffix: (_w, suffix, s) => {
    const str = goString(s);
    const x = goString(suffix);
    return x !== "" && str.endsWith(x) ? str.slice(0, -x.length) : str;
  },
  trimPrefix: (_w, prefix, s) => {
    const str = goString(s);
    const x = goString(prefix);
    return str.startsWith(x) ? str.slice(x.length) : str;
  },
  replace: (_w, from, to, s) => goString(s).split(goString(from)).join(goString(to)),
  contains: (_w, sub, s) => goString(s).includes(goString(sub)),
  hasPrefix: (_w, prefix, s) => goString(s).startsWith(goString(prefix)),
  hasSuffix: (_w, suffix, s) => goString(s).endsWith(goString(suffix)),
  join: (_w, sep, list) => (Array.isArray(list) ? list.filter((x) => x !== null && x !== undefined).map(goString).join(goString(sep)) : goString(list)),
  list: (_w, ...items) => items,
  dict: (_w, ...kv) => {
    const out: Dict = {};
    for (let i = 0; i < kv.length; i += 2) out[goString(kv[i])] = kv[i + 1];
    return out;
  },
  hasKey: (_w, map, key) => isDict(map) && Object.prototype.hasOwnProperty.call(map, goString(key)),
  ternary: (_w, a, b, cond) => (truthy(cond) ? a : b),
  indent: (_w, n, s) => {
    const pad = " ".repeat(Number(n));
    return pad + goString(s).split("\n").join(`\n${pad}`);
  },
  nindent: (_w, n, s) => {
    const pad = " ".repeat(Number(n));
    return `\n${pad}${goString(s).split("\n").join(`\n${pad}`)}`;
  },
  toYaml: (_w, v) => toYaml(v),
  toJson: (_w, v) => JSON.stringify(sortKeys(v ?? null)),
  b64enc: (_w, s) => Buffer.from(goString(s), "utf8").toString("base64"),
  b64dec: (_w, s) => Buffer.from(goString(s), "base64").toString("utf8"),
  sha256sum: (_w, s) => createHash("sha256").update(goString(s)).digest("hex"),
  randAlphaNum: (_w, n) => [...randomBytes(Number(n))].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join(""),
  // `helm template` and `helm lint` have no cluster: lookup finds nothing.
  lookup: () => ({}),
};

// ---- Execution -------------------------------------------------------------------------------------

interface Scope {
  dot: Value;
  vars: Map<string, Value>[];
}

/** A set of parsed files and their `define`d templates, executed like Helm's engine. */
export class TemplateSet {
  private readonly files = new Map<string, Node[]>();
  private readonly defines = new Map<string, Node[]>();
  private readonly functions: Record<string, Fn>;

  constructor() {
    this.functions = {
      ...FUNCTIONS,
      include: (where, name, data) => this.executeNamed(goString(name), data, where),
    };
  }

  /** Parses a file; its `define`s become visible to every file of the set. */
  add(name: string, source: string): void {
    this.files.set(name, parseFile(source, name, this.defines));
  }

  /** Executes a file with `data` as both `.` and `$`. */
  execute(name: string, data: Value): string {
    const nodes = this.files.get(name);
    if (!nodes) throw new TemplateError(`no template file ${name}`);
    return this.run(nodes, { dot: data, vars: [new Map([["$", data]])] });
  }

  private executeNamed(name: string, data: Value, where: string): string {
    const nodes = this.defines.get(name) ?? this.files.get(name);
    if (!nodes) throw new TemplateError(`${where}: no template "${name}"`);
    return this.run(nodes, { dot: data, vars: [new Map([["$", data]])] });
  }

  private run(nodes: readonly Node[], scope: Scope): string {
    let out = "";
    for (const node of nodes) out += this.node(node, scope);
    return out;
  }

  private inner(scope: Scope, dot: Value = scope.dot): Scope {
    return { dot, vars: [...scope.vars, new Map()] };
  }

  private node(node: Node, scope: Scope): string {
    switch (node.kind) {
      case "text":
        return node.text;
      case "action": {
        const v = this.pipe(node.pipe, scope, node.where);
        return node.pipe.decl ? "" : goString(v);
      }
      case "if": {
        const local = this.inner(scope);
        for (const branch of node.branches) {
          if (truthy(this.pipe(branch.pipe, local, node.where))) return this.run(branch.body, local);
        }
        return node.otherwise ? this.run(node.otherwise, local) : "";
      }
      case "with": {
        const local = this.inner(scope);
        const v = this.pipe(node.pipe, local, node.where);
        if (truthy(v)) return this.run(node.body, { ...local, dot: v });
        return node.otherwise ? this.run(node.otherwise, local) : "";
      }
      case "range": {
        const decl = node.pipe.decl;
        const v = this.pipe({ cmds: node.pipe.cmds }, scope, node.where);
        const entries: [Value, Value][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : isDict(v)
            ? Object.keys(v).sort().map((k) => [k, v[k]])
            : v === null || v === undefined
              ? []
              : (() => {
                  throw new TemplateError(`${node.where}: range can't iterate over ${goString(v)}`);
                })();
        if (entries.length === 0) return node.otherwise ? this.run(node.otherwise, this.inner(scope)) : "";
        let out = "";
        for (const [key, item] of entries) {
          const local = this.inner(scope, item);
          const frame = local.vars[local.vars.length - 1] as Map<string, Value>;
          if (decl?.vars.length === 1) frame.set(decl.vars[0] ?? "", item);
          if (decl?.vars.length === 2) {
            frame.set(decl.vars[0] ?? "", key);
            frame.set(decl.vars[1] ?? "", item);
          }
          out += this.run(node.body, local);
        }
        return out;
      }
      case "template": {
        const data = node.pipe ? this.pipe(node.pipe, scope, node.where) : undefined;
        return this.executeNamed(node.name, data, node.where);
      }
    }
  }

  private pipe(pipe: Pipe, scope: Scope, where: string): Value {
    let result: Value;
    pipe.cmds.forEach((cmd, i) => {
      result = this.command(cmd, scope, where, i > 0, result);
    });
    if (pipe.decl) {
      for (const name of pipe.decl.vars) {
        if (pipe.decl.assign) {
          const frame = [...scope.vars].reverse().find((f) => f.has(name));
          if (!frame) throw new TemplateError(`${where}: undefined variable ${name}`);
          frame.set(name, result);
        } else {
          (scope.vars[scope.vars.length - 1] as Map<string, Value>).set(name, result);
        }
      }
    }
    return result;
  }

  private command(cmd: Arg[], scope: Scope, where: string, piped: boolean, input: Value): Value {
    const [head, ...rest] = cmd;
    if (head?.kind === "ident") {
      const name = head.name ?? "";
      if (name === "and" || name === "or") {
        const operands: (() => Value)[] = rest.map((a) => () => this.arg(a, scope, where));
        if (piped) operands.push(() => input);
        let v: Value;
        for (const operand of operands) {
          v = operand();
          if (name === "and" ? !truthy(v) : truthy(v)) return v;
        }
        return v;
      }
      const fn = this.functions[name];
      if (!fn) throw new TemplateError(`${where}: function "${name}" not defined (not in the subset this interpreter knows)`);
      const args = rest.map((a) => this.arg(a, scope, where));
      if (piped) args.push(input);
      return fn(where, ...args);
    }
    if (rest.length > 0 || piped) throw new TemplateError(`${where}: can't give arguments to a non-function`);
    return this.arg(head as Arg, scope, where);
  }

  private arg(arg: Arg, scope: Scope, where: string): Value {
    const walk = (start: Value, chain: readonly string[]) => chain.reduce((v, name) => field(v, name, where), start);
    switch (arg.kind) {
      case "dot":
        return scope.dot;
      case "field":
        return walk(scope.dot, arg.chain ?? []);
      case "var": {
        const frame = [...scope.vars].reverse().find((f) => f.has(arg.name ?? ""));
        if (!frame) throw new TemplateError(`${where}: undefined variable ${arg.name}`);
        return walk(frame.get(arg.name ?? ""), arg.chain ?? []);
      }
      case "lit":
        return arg.value;
      case "pipe":
        return walk(this.pipe(arg.pipe as Pipe, scope, where), arg.chain ?? []);
      case "ident":
        return this.command([arg], scope, where, false, undefined);
    }
  }
}
