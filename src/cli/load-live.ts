import { collectLive, planForRequest } from "../cluster/collect-live.js";
import { contextNamespace, KubeConfigError, loadKubeConfig } from "../cluster/kube-client.js";
import { inputsOf } from "../checks/registry.js";
import type { LoadedInput } from "./load-input.js";
import { toRequest } from "./load-input.js";
import type { KubeConfig } from "@kubernetes/client-node";
import type { DiagnoseCommand, SourceOptions } from "./parse-args.js";
import { InputError } from "./run-cli.js";

/** The kubeconfig the command names (--kubeconfig, --context), or the usual ones; a problem is an InputError (exit 2). */
export function kubeConfigFor(source: SourceOptions): KubeConfig {
  try {
    const options: { kubeconfig?: string; context?: string } = {};
    if (source.kubeconfig !== undefined) options.kubeconfig = source.kubeconfig;
    if (source.context !== undefined) options.context = source.context;
    return loadKubeConfig(options);
  } catch (err) {
    if (err instanceof KubeConfigError) throw new InputError(err.message);
    throw err;
  }
}

/** Collects what the checks need from the cluster of the kubeconfig context (a target without a namespace is in the context's). */
export async function loadLive(cmd: DiagnoseCommand, now: Date): Promise<LoadedInput> {
  const kc = kubeConfigFor(cmd.source);
  const request = toRequest(cmd, contextNamespace(kc), now);
  const progress = process.stderr.isTTY ? (message: string) => process.stderr.write(`… ${message}\n`) : undefined;
  const snapshot = await collectLive(kc, planForRequest(request, inputsOf()), progress ? { onProgress: progress } : {});
  // The target's Services could not be read because the cluster is unreachable: that is unreadable
  // input (exit 2), not a report of skipped checks.
  if (snapshot.unreachable !== undefined && snapshot.unavailable.services !== undefined) {
    throw new InputError(`cannot read the cluster: ${snapshot.unreachable}`);
  }
  return { snapshot, request };
}
