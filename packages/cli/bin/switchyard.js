#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run by Node's built-in type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `switchyard needs Node.js >= 22.18 (this is ${process.versions.node}).\n` +
      "Run it through npm (npm start, npm run switchyard -- <verb>, npx switchyard), which uses the Node 22 the project installs.\n",
  );
  process.exit(2);
}
// Local runs print a timeline; the functions' JSON logs and EMF metrics go quiet unless asked for.
if (!process.argv.includes("--verbose")) {
  process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
} else {
  // Logs are logs: on stderr, never mixed into the data on stdout. In dev mode Powertools writes
  // through the global console, which the CLI itself never uses for its output.
  const { format } = await import("node:util");
  process.env.POWERTOOLS_DEV = "true";
  const toStderr = (...args) => process.stderr.write(`${format(...args)}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.warn = toStderr;
}
await import("../src/main.ts");
