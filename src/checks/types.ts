import type { Input } from "../cluster/snapshot.js";
import type { SnapshotView } from "../cluster/snapshot-view.js";
import type { Pod, Service, Workload } from "../cluster/kube-types.js";
import type { Code } from "./codes.js";
import type { Finding } from "./finding.js";

export interface TargetPort {
  name?: string;
  /** The Service port. */
  port: number;
  /** The container port number, a named targetPort resolved through the target pods; the name if unresolved. */
  targetPort: number | string;
  appProtocol?: string;
}

/** A Service being checked: in `check` the one asked for; in `scan` every Service in scope. */
export interface Target {
  service: Service;
  name: string;
  namespace: string;
  /** `Service ns/name`. */
  resource: string;
  /** Active pods selected by the Service. */
  pods: readonly Pod[];
  ports: readonly TargetPort[];
}

export type SourceKind = "Service" | "Deployment" | "StatefulSet" | "DaemonSet";

/** The client named with `--from`, resolved to a Service or workload and its active pods. */
export interface Source {
  kind: SourceKind;
  name: string;
  namespace: string;
  /** `Kind ns/name`. */
  resource: string;
  /** The workload that owns the pods, when one was found (for a Service source: the owner of its pods). */
  workload?: Workload;
  pods: readonly Pod[];
}

export interface CheckOptions {
  /** MTLS402 window: certificates expiring within it are reported. */
  certificateWarningMs: number;
}

export interface CheckContext {
  readonly view: SnapshotView;
  readonly mode: "check" | "scan";
  readonly now: Date;
  readonly targets: readonly Target[];
  readonly source?: Source;
  /** The namespaces a scan covers, or the target's and source's namespaces in `check`. */
  readonly namespaces: readonly string[];
  readonly options: CheckOptions;
  /** In `check`: what was asked for and does not exist (MTLS901/902). */
  readonly missing: { target?: { service: string; namespace: string }; source?: { name: string; namespace: string } };
  report(finding: Finding): void;
  /** The check cannot run on this snapshot (its data is absent): reported as skipped with the reason. */
  skip(reason: string): void;
  /** Something a person should know about how the check ran (data missing in part, how to get more): added to its status. */
  note(text: string): void;
}

/** A check: a pure function over a snapshot that reports findings through its context. */
export interface Check {
  /** kebab-case, unique. */
  name: string;
  description: string;
  /** Everything it reads: collectors fetch these, and a missing one skips the check. */
  inputs: readonly Input[];
  /**
   * Declared inputs the check still runs without (it reads what there is and says what was missing);
   * any other missing input skips it.
   */
  optional?: readonly Input[];
  codes: readonly Code[];
  run(ctx: CheckContext): void;
}
