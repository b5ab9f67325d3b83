// Plain data, importing nothing: a test that sets environment variables before its modules load may import it first.
/** The podinfo API key (a `random` rotator over its `apiKey` field) that is rotated when it leaks in Codertocat/Hello-World. */
export const podinfoLeakable = {
  name: "podinfo-api",
  secretId: "prod/podinfo/api",
  rotator: "random",
  options: { field: "apiKey" },
  leaks: { repositories: ["Codertocat/Hello-World"], secretTypes: ["adafruit_io_key"] },
};
