#!/usr/bin/env node
// Installs the Debian packages the test suite runs for real (it never simulates what can run
// here): PostgreSQL for the database credential rotators, Chromium for the dashboard. Run by
// `npm test` (its `pretest`), so the README's two commands are all a fresh machine needs;
// `.ci/run` only calls them.
// Each package is installed once, when its binary is missing; nothing is done when all are there.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

/** What the tests need: how to tell it is there, and the Debian package that brings it. */
const NEEDS = [
  {
    what: "PostgreSQL server (the postgres-single-user and alternating-users rotator tests)",
    present: () =>
      existsSync("/usr/lib/postgresql") &&
      readdirSync("/usr/lib/postgresql").some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)),
    debian: "postgresql",
  },
  {
    what: "Chromium (the dashboard's tests in a real headless browser, driven by playwright-core)",
    present: () => existsSync("/usr/bin/chromium"),
    debian: "chromium",
  },
];

const missing = NEEDS.filter((n) => !n.present());
if (missing.length === 0) process.exit(0);

const names = missing.map((n) => n.debian);
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot || !existsSync("/usr/bin/apt-get")) {
  for (const n of missing) process.stderr.write(`missing: ${n.what}\n`);
  process.stderr.write(
    `install the Debian package(s) ${names.join(" ")} (as root: apt-get install -y ${names.join(" ")}), then run npm test again\n`,
  );
  process.exit(1);
}
process.stderr.write(`installing ${names.join(" ")} (needed by the tests)…\n`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
execFileSync("apt-get", ["update"], { stdio: ["ignore", "inherit", "inherit"], env });
execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...names], {
  stdio: ["ignore", "inherit", "inherit"],
  env,
});
