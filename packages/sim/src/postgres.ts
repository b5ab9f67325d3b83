import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/**
 * A real PostgreSQL server (Debian's `postgresql` package), for the database rotators' tests and
 * `switchyard bench`: where a real implementation runs on this machine, it is used instead of a
 * simulation (like dynalite for DynamoDB). The server runs in a temporary directory, on a free
 * port on 127.0.0.1, with password authentication. PostgreSQL refuses to run as root, so when
 * the tests run as root the server runs as the `postgres` user.
 */
export interface LocalPostgres {
  readonly host: string;
  readonly port: number;
  /** The superuser's credentials (as a Secrets Manager PostgreSQL secret). */
  readonly admin: {
    engine: "postgres";
    host: string;
    port: number;
    username: string;
    password: string;
    dbname: string;
  };
  /** Runs statements as the superuser. */
  sql(text: string): Promise<void>;
  /** True when PostgreSQL accepts this user and password. */
  canLogIn(username: string, password: string): Promise<boolean>;
  stop(): void;
}

const ADMIN_PASSWORD = `admin-${process.pid}-local`;

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const version = existsSync(root) ? readdirSync(root).sort().at(-1) : undefined;
  if (!version)
    throw new Error(
      "PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does it when missing)",
    );
  return join(root, version, "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startPostgres(): Promise<LocalPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "switchyard-pg-"));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { stdio: "pipe" })
      : execFileSync(join(bin, cmd), args, { stdio: "pipe" });
  if (asRoot) {
    chmodSync(dir, 0o777);
    execFileSync("chown", ["postgres:postgres", dir]);
  }
  const data = join(dir, "data");
  const pwfile = join(dir, "pw");
  execFileSync("sh", ["-c", `umask 077; printf %s "$1" > "$2"`, "sh", ADMIN_PASSWORD, pwfile]);
  if (asRoot) execFileSync("chown", ["postgres:postgres", pwfile]);
  run("initdb", ["-D", data, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8"]);
  const port = await freePort();
  run("pg_ctl", [
    "-D",
    data,
    "-l",
    join(dir, "log"),
    "-w",
    "-o",
    `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`,
    "start",
  ]);
  const host = "127.0.0.1";
  const admin = {
    engine: "postgres" as const,
    host,
    port,
    username: "postgres",
    password: ADMIN_PASSWORD,
    dbname: "postgres",
  };
  const connect = async (user: string, password: string) => {
    const client = new pg.Client({ host, port, user, password, database: "postgres" });
    await client.connect();
    return client;
  };
  return {
    host,
    port,
    admin,
    async sql(text) {
      const client = await connect(admin.username, admin.password);
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    },
    async canLogIn(username, password) {
      try {
        const client = await connect(username, password);
        await client.end();
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === "28P01") return false;
        throw error;
      }
    },
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
