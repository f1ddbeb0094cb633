import { KubeStatusError } from "./kube-status-error.js";
import { isPlainObject } from "./merge-patch.js";

interface Operation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/**
 * Applies a JSON patch (RFC 6902: add, remove, replace, test, move, copy) to a copy of `target`.
 * A malformed patch or a failed `test` is an error the fake answers as kube-apiserver does.
 */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw KubeStatusError.badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  }
  let doc = structuredClone(target);
  for (const raw of patch) {
    const op = raw as Operation;
    if (!isPlainObject(raw) || typeof op.op !== "string" || typeof op.path !== "string") {
      throw KubeStatusError.badRequest(`the server rejected our request due to an error in our request: invalid JSON patch operation ${JSON.stringify(raw)}`);
    }
    switch (op.op) {
      case "add":
        doc = setAt(doc, op.path, structuredClone(op.value), "add");
        break;
      case "replace":
        getAt(doc, op.path);
        doc = setAt(doc, op.path, structuredClone(op.value), "replace");
        break;
      case "remove":
        doc = removeAt(doc, op.path);
        break;
      case "test":
        if (JSON.stringify(getAt(doc, op.path)) !== JSON.stringify(op.value)) {
          throw new KubeStatusError(422, "Invalid", `the server rejected our request due to an error in our request: testing value ${op.path} failed`);
        }
        break;
      case "copy":
      case "move": {
        const from = op.from ?? "";
        const value = structuredClone(getAt(doc, from));
        if (op.op === "move") doc = removeAt(doc, from);
        doc = setAt(doc, op.path, value, "add");
        break;
      }
      default:
        throw KubeStatusError.badRequest(`the server rejected our request due to an error in our request: unexpected JSON patch op "${op.op}"`);
    }
  }
  return doc;
}

function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw KubeStatusError.badRequest(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function missing(path: string): KubeStatusError {
  return new KubeStatusError(422, "Invalid", `the server rejected our request due to an error in our request: path ${path} does not exist`);
}

function getAt(doc: unknown, path: string): unknown {
  let current = doc;
  for (const token of pointer(path)) {
    if (Array.isArray(current) && /^\d+$/.test(token) && Number(token) < current.length) {
      current = current[Number(token)];
    } else if (isPlainObject(current) && Object.hasOwn(current, token)) {
      current = current[token];
    } else {
      throw missing(path);
    }
  }
  return current;
}

function setAt(doc: unknown, path: string, value: unknown, mode: "add" | "replace"): unknown {
  const tokens = pointer(path);
  const last = tokens.pop();
  if (last === undefined) return value;
  const parent = getAt(doc, tokens.length === 0 ? "" : `/${tokens.map(escape).join("/")}`);
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw missing(path);
    parent.splice(index, mode === "replace" ? 1 : 0, value);
  } else if (isPlainObject(parent)) {
    parent[last] = value;
  } else {
    throw missing(path);
  }
  return doc;
}

function removeAt(doc: unknown, path: string): unknown {
  getAt(doc, path);
  const tokens = pointer(path);
  const last = tokens.pop() ?? "";
  const parent = getAt(doc, tokens.length === 0 ? "" : `/${tokens.map(escape).join("/")}`);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isPlainObject(parent)) delete parent[last];
  return doc;
}

function escape(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}
