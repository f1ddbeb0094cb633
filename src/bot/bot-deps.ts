import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { DiagnoseJobData } from "../queue/jobs.js";

/** What the listeners need; everything else stays in the worker. The bot has no cluster access. */
export interface BotDeps {
  config: Config;
  /** A fail-fast connection: a Redis outage must not hold up the 3-second acknowledgement. */
  redis: Redis;
  diagnoseQueue(cluster: string): Queue<DiagnoseJobData>;
  logger: Logger;
  metrics: Metrics;
  now?: () => Date;
}
