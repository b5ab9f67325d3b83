import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The errors a command meets on a real account, as one line naming the cause and the fix. Read
 * from what the SDK throws (its error names, the service's error codes, Node's network codes),
 * without importing the SDK, so the CLI's error path stays light.
 */

interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const NETWORK = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPROTO",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const ACCESS_DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "AuthorizationError",
  "UnauthorizedException",
]);

const BAD_CREDENTIALS = new Set([
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "MissingAuthenticationToken",
]);

const EXPIRED = new Set(["ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"]);

/** The network code of an error or of the errors it wraps. */
function networkCode(error: SdkLikeError, depth = 0): string | undefined {
  if (depth > 4 || !error) return undefined;
  if (error.code && NETWORK.has(error.code)) return error.code;
  if (error.name === "TimeoutError") return "timed out";
  const nested = (error as { errors?: unknown[] }).errors;
  for (const inner of [error.cause, ...(Array.isArray(nested) ? nested : [])]) {
    const found =
      inner && typeof inner === "object" ? networkCode(inner as SdkLikeError, depth + 1) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** Whether ~/.aws/config or ~/.aws/credentials (or the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name) has this profile. */
function profileExists(profile: string): boolean {
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return ""; // no such file: it holds no profile
    }
  };
  const config = read(process.env.AWS_CONFIG_FILE ?? join(homedir(), ".aws", "config"));
  const credentials = read(process.env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), ".aws", "credentials"));
  const escaped = profile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return (
    new RegExp(`^\\[\\s*(?:profile\\s+)?${escaped}\\s*\\]`, "m").test(config) ||
    new RegExp(`^\\[\\s*${escaped}\\s*\\]`, "m").test(credentials)
  );
}

const profileHint = () => (process.env.AWS_PROFILE ? ` --profile ${process.env.AWS_PROFILE}` : "");

/** One line for an AWS failure, or undefined when the error is not one. */
export function explainAwsError(thrown: unknown): string | undefined {
  if (!thrown || typeof thrown !== "object") return undefined;
  const error = thrown as SdkLikeError;
  const name = error.name ?? error.Code ?? "";
  const message = (error.message ?? "").split("\n")[0] ?? "";

  if (/sso/i.test(message) && /(expired|invalid|refresh|not found)/i.test(message))
    return `the AWS SSO session has expired or is invalid: run \`aws sso login${profileHint()}\`, then try again`;
  if (name === "CredentialsProviderError" || name === "TokenProviderError") {
    const profile =
      /[Pp]rofile "?([\w.@-]+)"? could not be found/.exec(message)?.[1] ??
      (process.env.AWS_PROFILE && !profileExists(process.env.AWS_PROFILE)
        ? process.env.AWS_PROFILE
        : undefined);
    if (profile)
      return `AWS profile "${profile}" is not in ~/.aws/config or ~/.aws/credentials: check its name (\`aws configure list-profiles\`)`;
    return (
      "no AWS credentials found: pass --profile NAME (a profile in ~/.aws/config), run `aws configure`" +
      " or `aws sso login`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    );
  }
  if (EXPIRED.has(name))
    return `the AWS credentials have expired (${name}): refresh them (\`aws sso login${profileHint()}\` or new keys) and try again`;
  if (BAD_CREDENTIALS.has(name))
    return `AWS does not accept these credentials (${name}): check the profile's keys, or pass the right --profile`;
  if (ACCESS_DENIED.has(name) || /not authorized to perform/i.test(message)) {
    const what = /not authorized to perform:? ([\w:*-]+)(?: on resource:? (\S+))?/i.exec(message);
    const who = /User: (\S+)/.exec(message)?.[1];
    const detail = what
      ? `${who ?? "these credentials"} may not ${what[1]}${what[2] ? ` on ${what[2]}` : ""}`
      : message || name;
    return `access denied: ${detail}; grant it to the operator's role (docs/deploying.md lists what the CLI needs)`;
  }
  const net = networkCode(error);
  if (net)
    return `cannot reach AWS (${net}): check the network, any proxy (HTTPS_PROXY), and the region (--region)`;
  if (error.$metadata !== undefined && name)
    return `AWS refused the request: ${name}: ${message}`.replace(/: $/, "");
  return undefined;
}
