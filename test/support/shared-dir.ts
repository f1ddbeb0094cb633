import { existsSync } from "node:fs";
import path from "node:path";

/** `../shared` beside the project: the team's scenarios and Istio's own test data. */
export const SHARED_DIR = path.resolve(process.cwd(), "../shared");

/** Whether ../shared is present; when it is not, says so once, visibly, so that a skip is never silent. */
export function sharedAvailable(what: string): boolean {
  const present = existsSync(SHARED_DIR);
  if (!present) console.warn(`NOTICE: ${SHARED_DIR} is absent: skipping ${what}`);
  return present;
}
