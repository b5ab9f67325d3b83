import type { Writable } from "node:stream";

/**
 * Stands in for `archiver` (SST's platform zips each function's bundle with it; this repository
 * does not install it). Instead of a zip it writes the list of entries SST added, as JSON, to the
 * same path (`code.zip`): the Pulumi mocks never read the archive, and the test reads the entries
 * to check what each function's package carries.
 */
export interface ZipEntry {
  name: string;
  from?: string;
  content?: string;
}

export default function archiver(format: string) {
  if (format !== "zip") throw new Error(`archiver stand-in: only "zip" is supported, not ${format}`);
  const entries: ZipEntry[] = [];
  let out: Writable | undefined;
  return {
    // SST listens for "warning" and "error"; recording entries raises neither.
    on(_event: string, _listener: (error: unknown) => void) {
      return this;
    },
    pipe(stream: Writable) {
      out = stream;
    },
    file(from: string, data: { name: string }) {
      entries.push({ name: data.name, from });
    },
    append(content: string | Buffer, data: { name: string }) {
      entries.push({ name: data.name, content: content.toString() });
    },
    async finalize() {
      if (!out) throw new Error("archiver stand-in: finalize() before pipe()");
      out.end(JSON.stringify(entries));
    },
  };
}
