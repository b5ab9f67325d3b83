import type { RotatorName } from "./catalog.ts";
import type { Rotator } from "./rotator.ts";
import { githubWebhookRotator } from "./rotators/github-webhook.ts";
import { postgresAlternatingUsers, postgresSingleUser } from "./rotators/postgres.ts";
import { randomRotator } from "./rotators/random.ts";

/** Switchyard's rotators by config name; `custom` secrets are rotated by their own function. */
export const rotators: { readonly [N in Exclude<RotatorName, "custom">]: Rotator<N> } = {
  random: randomRotator,
  "postgres-single-user": postgresSingleUser,
  "postgres-alternating-users": postgresAlternatingUsers,
  "github-webhook-secret": githubWebhookRotator,
};
