import { AuthorizationV1Api, Observable, type KubeConfig, type ObservableMiddleware, type RequestContext, type ResponseContext } from "@kubernetes/client-node";
import { DEFAULT_API_TIMEOUT_MS, Semaphore } from "./kube-client.js";

/** One question for the API server: may the current credentials do this? */
export interface AccessQuestion {
  verb: string;
  /** "" for the core group. */
  group: string;
  /** Plural, with `/subresource` where there is one (`pods/exec`). */
  resource: string;
  /** Unset: in every namespace (what a ClusterRole grants). */
  namespace?: string;
}

export interface AccessAnswer {
  question: AccessQuestion;
  /** Undefined when the API server gave no answer (`error` says why). */
  allowed?: boolean;
  /** The authorizer's reason or the evaluation error, when it gave one. */
  reason?: string;
  /** Why no answer came: network, timeout, or the review itself refused. */
  error?: string;
}

export interface AccessReviewOptions {
  /** Per review. Default 15 s. */
  timeoutMs?: number;
  /** Reviews in flight at once. Default 8. */
  maxConcurrency?: number;
}

/** Aborts the request when the signal fires; client-node's HTTP library passes it to fetch. */
function withSignal(signal: AbortSignal): ObservableMiddleware {
  return {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
}

/**
 * Asks the API server, with one SelfSubjectAccessReview each (POST
 * /apis/authorization.k8s.io/v1/selfsubjectaccessreviews), whether the credentials of `kc` may do what
 * each question says. Never throws: a review that cannot be made comes back with `error`.
 */
export async function reviewAccess(kc: KubeConfig, questions: readonly AccessQuestion[], options: AccessReviewOptions = {}): Promise<AccessAnswer[]> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const limit = new Semaphore(options.maxConcurrency ?? 8);
  const timeoutMs = options.timeoutMs ?? DEFAULT_API_TIMEOUT_MS;
  return Promise.all(
    questions.map((question) =>
      limit.run(async (): Promise<AccessAnswer> => {
        const [resource = "", subresource] = question.resource.split("/");
        const signal = AbortSignal.timeout(timeoutMs);
        try {
          const review = await api.createSelfSubjectAccessReview(
            {
              body: {
                apiVersion: "authorization.k8s.io/v1",
                kind: "SelfSubjectAccessReview",
                spec: {
                  resourceAttributes: {
                    verb: question.verb,
                    group: question.group,
                    resource,
                    ...(subresource === undefined ? {} : { subresource }),
                    ...(question.namespace === undefined ? {} : { namespace: question.namespace }),
                  },
                },
              },
            },
            { middleware: [withSignal(signal)], middlewareMergeStrategy: "append" },
          );
          const status = review.status;
          const answer: AccessAnswer = { question, allowed: status?.allowed === true && status.denied !== true };
          const reason = status?.reason ?? status?.evaluationError;
          if (reason) answer.reason = reason;
          return answer;
        } catch (err) {
          return { question, error: signal.aborted ? `no answer within ${timeoutMs / 1000} s` : reviewError(err) };
        }
      }),
    ),
  );
}

function reviewError(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown; message?: string; cause?: { code?: string } };
  if (typeof e.code === "number") {
    let message: string | undefined;
    try {
      const parsed = typeof e.body === "string" ? (JSON.parse(e.body) as { message?: unknown }) : undefined;
      if (typeof parsed?.message === "string") message = parsed.message;
    } catch {
      // not a Status body: the code alone
    }
    return `the API server answered ${e.code}${message ? `: ${message}` : ""}`;
  }
  return [e.message ?? String(err), e.cause?.code].filter(Boolean).join(": ");
}
