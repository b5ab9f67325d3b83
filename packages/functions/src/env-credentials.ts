/**
 * The credential provider of the Lambda bundles: the execution role's credentials, which Lambda
 * puts in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN:
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 * Environment variables are the first link of the SDK's default chain
 * (https://docs.aws.amazon.com/sdk-for-javascript/latest/developer-guide/setting-credentials-node.html),
 * and on Lambda the link that answers: the bundles put this module where the SDK clients import
 * `@aws-sdk/credential-provider-node` (stacks/bundle-plugins.ts), so they carry none of the
 * other links (SSO, shared files, processes, web identity, container and instance metadata) and
 * load none of what those load at import (node:http, and with it Node's undici). Processes that
 * run from source (the CLI, the local control plane, the tests) keep the SDK's whole chain.
 */

/** The shape the SDK clients call: `credentialDefaultProvider(init)` returns the provider. */
export const defaultProvider =
  (_init: object = {}) =>
  async (): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }> => {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
    const sessionToken = process.env.AWS_SESSION_TOKEN;
    if (!accessKeyId || !secretAccessKey)
      throw new Error(
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: Lambda sets them from the function's " +
          "execution role; a bundle run elsewhere needs them in its environment",
      );
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  };
