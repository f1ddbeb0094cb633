import { LogLevel, WebClient } from "@slack/web-api";

export interface AuthTestAnswer {
  ok: boolean;
  team?: string;
  teamId?: string;
  /** The bot's user id. */
  userId?: string;
  /**
   * The scopes granted to the token, from the `x-oauth-scopes` header of the answer (the WebClient
   * copies it into `response_metadata.scopes`); undefined when Slack sent no such header.
   */
  scopes?: string[];
  /** Slack's error code (`invalid_auth`, `token_revoked`, …) or the transport failure. */
  error?: string;
}

export interface AuthTestOptions {
  /** The Web API base URL (SLACK_API_URL); default Slack's. */
  apiUrl?: string;
  /** Default 10 s; the call is not retried: a preflight wants the answer, not patience. */
  timeoutMs?: number;
}

/** `auth.test` with a bot token: whether it works, for which workspace, and with which scopes. Never throws. */
export async function authTest(token: string, options: AuthTestOptions = {}): Promise<AuthTestAnswer> {
  const client = new WebClient(token, {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 10_000,
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
  try {
    const answer = await client.auth.test();
    const result: AuthTestAnswer = { ok: answer.ok === true };
    if (answer.team !== undefined) result.team = answer.team;
    if (answer.team_id !== undefined) result.teamId = answer.team_id;
    if (answer.user_id !== undefined) result.userId = answer.user_id;
    const scopes = answer.response_metadata?.scopes;
    if (scopes !== undefined) result.scopes = [...scopes];
    return result;
  } catch (err) {
    const data = (err as { data?: { error?: unknown } }).data;
    return { ok: false, error: typeof data?.error === "string" ? data.error : (err as Error).message };
  }
}
