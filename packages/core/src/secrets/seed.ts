import { randomBytes } from "node:crypto";
import type { ManagedSecret } from "../config/schema.ts";

const token = (length = 40) => randomBytes(length).toString("base64url").slice(0, length);

/**
 * A value of the right shape for a configured secret, made up for the simulated account when the
 * operator gave none (`switchyard status` and scenarios run against it). Never a real credential,
 * and, like every secret value, never printed.
 */
export function simulatedSecretValue(secret: ManagedSecret): string {
  const options = secret.options as { field?: string; length?: number; username?: string };
  switch (secret.rotator) {
    case "random":
      return options.field
        ? JSON.stringify({ [options.field]: token(options.length) })
        : token(options.length);
    case "postgres-single-user":
    case "postgres-alternating-users":
      return JSON.stringify({
        engine: "postgres",
        host: "127.0.0.1",
        port: 5432,
        dbname: "postgres",
        username: options.username ?? secret.name.replace(/[^a-z0-9_]/gi, "_").toLowerCase(),
        password: token(),
      });
    default:
      return token(options.length);
  }
}
