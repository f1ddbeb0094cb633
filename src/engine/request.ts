/** What to diagnose: one service (optionally from one client), or a scan of namespaces. */
export type DiagnoseRequest =
  | {
      mode: "check";
      target: { service: string; namespace: string };
      /** The client named with `--from`; its namespace defaults to the target's. */
      from?: { name: string; namespace: string };
      now: Date;
    }
  | {
      mode: "scan";
      /** Namespaces to scan; empty means every namespace of the snapshot. */
      namespaces: string[];
      now: Date;
    };
