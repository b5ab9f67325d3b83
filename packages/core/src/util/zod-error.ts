import type * as z from "zod";

/** Renders a zod issue path the way a reader writes it: `deployments[0].alarms[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** One line per issue, each naming the field path: `detail.image-digest: expected string, received number`. */
export function formatZodIssues(error: z.ZodError, prefix = ""): string[] {
  return error.issues.map((issue) => {
    const path = formatPath([...(prefix ? [prefix] : []), ...issue.path]);
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}
