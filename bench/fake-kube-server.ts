// A fake Kubernetes API server in a process of its own (so that serving 5,000 pods does not share the
// CPU of the collector being timed). Prints its URL on stdout; runs until stdin closes.
import { startFakeKubeApi } from "../test/support/fake-kube-api.js";
import { syntheticCluster } from "../test/cluster/synthetic-cluster.js";

const [namespaces = "10", targetPods = "10", latencyMs = "0"] = process.argv.slice(2);
const kube = await startFakeKubeApi({
  snapshot: syntheticCluster({ namespaces: Number(namespaces), targetPods: Number(targetPods) }),
  latencyMs: Number(latencyMs),
});
process.stdout.write(`${kube.url}\n`);
process.stdin.resume();
process.stdin.on("end", () => void kube.close().then(() => process.exit(0)));
