// Plain data, importing nothing: a test that sets environment variables before its modules load may import it first.
/** The podinfo API key (a `random` rotator over its `apiKey` field) that is rotated when it leaks in Codertocat/Hello-World. */
export const podinfoLeakable = {
  name: "podinfo-api",
  secretId: "prod/podinfo/api",
  rotator: "random",
  options: { field: "apiKey" },
  leaks: { repositories: ["Codertocat/Hello-World"], secretTypes: ["adafruit_io_key"] },
};

/**
 * Invented: a rotate-on-leak workflow input that validates (the leak flow needs GitHub's API, so
 * no captured one exists). The step-function tests use it where only the action, or what they
 * plant in it, should be wrong.
 */
export const rotateOnLeakInput = {
  secret: "api",
  secretId: "prod/api",
  rotator: "random",
  options: {},
  rotationToken: "0123456789abcdef0123456789abcdef",
  alert: {
    repository: "octo/repo",
    number: 1,
    secretType: "github_personal_access_token",
    action: "created",
  },
  github: null,
  notifyTopicArn: null,
  trigger: { eventId: "e-1", source: "github.com", detailType: "secret_scanning_alert" },
  correlationId: "e-1",
};
