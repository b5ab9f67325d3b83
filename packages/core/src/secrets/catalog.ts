import * as z from "zod";

/**
 * The rotators Switchyard ships, by name, with the schema of each one's `options` in the config.
 * Kept free of rotator code (and of `pg`) so that config validation can import it.
 * `custom` means: Secrets Manager calls the secret's own rotation function (`rotationFunction`).
 */
const Ssl = z.boolean().default(true);

export const ROTATOR_OPTIONS = {
  random: z.strictObject({
    /** Rotate this key of a JSON secret and keep the others; absent: the whole value is the token. */
    field: z.string().min(1).optional(),
    length: z.number().int().min(16).max(4096).default(40),
    excludePunctuation: z.boolean().default(true),
    excludeCharacters: z.string().default(""),
  }),
  "postgres-single-user": z.strictObject({ ssl: Ssl }),
  "postgres-alternating-users": z.strictObject({
    /** Secret (name or ARN) of a user that may CREATE ROLE and ALTER ROLE: it clones and re-passwords the users. */
    masterSecret: z.string().min(1, { error: "name the secret of the user that manages roles" }),
    ssl: Ssl,
    /** The user the secret starts with; when named, its clone's name is checked at load and the secret must hold one of the two. */
    username: z.string().min(1).optional(),
  }),
  "github-webhook-secret": z.strictObject({
    owner: z.string().min(1, { error: "name the repository's owner" }),
    repo: z.string().min(1, { error: "name the repository that holds the webhook" }),
    hookId: z
      .number({ error: "the webhook's numeric id (Settings → Webhooks, or GET /repos/{owner}/{repo}/hooks)" })
      .int()
      .positive(),
    /** Secret (name or ARN) holding a GitHub token allowed to administer the repository's hooks. */
    tokenSecret: z.string().min(1, { error: "name the secret that holds the GitHub token" }),
    apiUrl: z
      .url({ error: 'must be the GitHub REST API URL, e.g. "https://api.github.com"' })
      .default("https://api.github.com"),
    /** The receiver's function URL: testSecret posts it a ping signed with the pending secret. */
    receiverUrl: z.url({
      error: 'must be the github-webhook function URL, e.g. "https://abc.lambda-url.us-east-1.on.aws/"',
    }),
    length: z.number().int().min(32).max(4096).default(40),
  }),
  custom: z.strictObject({}),
} as const;

export type RotatorName = keyof typeof ROTATOR_OPTIONS;
export const ROTATOR_NAMES = Object.keys(ROTATOR_OPTIONS) as [RotatorName, ...RotatorName[]];
export type RotatorOptions<N extends RotatorName> = z.output<(typeof ROTATOR_OPTIONS)[N]>;
