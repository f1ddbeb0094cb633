import { collectLive, planForRequest } from "../cluster/collect-live.js";
import { contextNamespace, KubeConfigError, loadKubeConfig } from "../cluster/kube-client.js";
import { inputsOf } from "../checks/registry.js";
import type { LoadedInput } from "./load-input.js";
import { toRequest } from "./load-input.js";
import type { DiagnoseCommand } from "./parse-args.js";
import { InputError } from "./run-cli.js";

/** Collects what the checks need from the cluster of the kubeconfig context (a target without a namespace is in the context's). */
export async function loadLive(cmd: DiagnoseCommand, now: Date): Promise<LoadedInput> {
  let kc;
  try {
    const options: { kubeconfig?: string; context?: string } = {};
    if (cmd.source.kubeconfig !== undefined) options.kubeconfig = cmd.source.kubeconfig;
    if (cmd.source.context !== undefined) options.context = cmd.source.context;
    kc = loadKubeConfig(options);
  } catch (err) {
    if (err instanceof KubeConfigError) throw new InputError(err.message);
    throw err;
  }
  const request = toRequest(cmd, contextNamespace(kc), now);
  const progress = process.stderr.isTTY ? (message: string) => process.stderr.write(`… ${message}\n`) : undefined;
  const snapshot = await collectLive(kc, planForRequest(request, inputsOf()), progress ? { onProgress: progress } : {});
  return { snapshot, request };
}
