import type { DiagnoseCommand } from "./parse-args.js";
import type { LoadedInput } from "./load-input.js";
import { InputError } from "./run-cli.js";

export async function loadLive(_cmd: DiagnoseCommand, _now: Date): Promise<LoadedInput> {
  throw new InputError("live collection is being wired: use --snapshot DIR");
}
