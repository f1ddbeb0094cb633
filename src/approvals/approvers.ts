import type { WebClient } from "@slack/web-api";

export interface ApproverPolicy {
  userIds: readonly string[];
  usergroupIds: readonly string[];
  /** Whether the person who asked may approve their own fix (default: no). */
  allowSelfApproval: boolean;
}

export type ApprovalDecision = { allowed: true } | { allowed: false; reason: string };

/** Group membership is cached; a user not found is looked up again at most this often per group. */
const REFRESH_MS = 60_000;

/**
 * Who may approve: the listed users, and members of the listed user groups (usergroups.users.list is
 * Tier 2, so memberships are cached and refreshed on a miss).
 */
export class Approvers {
  private readonly groups = new Map<string, { members: Set<string>; fetchedAt: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly policy: ApproverPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  async decide(userId: string, requester: string): Promise<ApprovalDecision> {
    if (!this.policy.allowSelfApproval && userId === requester) {
      return { allowed: false, reason: "you asked for this check, and a fix needs a second person's approval" };
    }
    if (this.policy.userIds.includes(userId)) return { allowed: true };
    for (const group of this.policy.usergroupIds) {
      if ((await this.members(group, userId)).has(userId)) return { allowed: true };
    }
    if (this.policy.userIds.length === 0 && this.policy.usergroupIds.length === 0) {
      return { allowed: false, reason: "no approvers are configured (APPROVER_USER_IDS / APPROVER_USERGROUP_IDS)" };
    }
    return { allowed: false, reason: "you are not an approver (ask someone in APPROVER_USER_IDS or the approver groups)" };
  }

  private async members(group: string, wanted: string): Promise<Set<string>> {
    const cached = this.groups.get(group);
    const stale = !cached || this.now() - cached.fetchedAt > REFRESH_MS;
    if (cached && (cached.members.has(wanted) || !stale)) return cached.members;
    const result = await this.client.usergroups.users.list({ usergroup: group });
    const members = new Set(result.users ?? []);
    this.groups.set(group, { members, fetchedAt: this.now() });
    return members;
  }
}
