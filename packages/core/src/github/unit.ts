import { ENV } from "../context.ts";
import { stateTableGrant } from "../permissions.ts";
import type { ReactionUnit } from "../unit.ts";

/**
 * The GitHub webhook receiver: not a reaction of its own but the intake of two (deploy on
 * release/deployment, rotate on a secret scanning alert). It puts verified deliveries on the bus.
 */
export const githubIntakeUnit: ReactionUnit = {
  reaction: "github-webhook",
  functions: [
    {
      name: "github-webhook",
      handler: "packages/functions/src/github-webhook.handler",
      description: "GitHub webhook receiver (function URL): verify, deduplicate, put on the bus",
      timeoutSeconds: 10,
      memoryMB: 256,
      url: true,
      // The receiver's own settings (github/receiver.ts), not the functions' context.
      env: [ENV.webhookSecretId, ENV.table, ENV.bus, ENV.logLevel],
      permissions: [
        { actions: ["secretsmanager:GetSecretValue"], resources: ["webhookSecret"] },
        { actions: ["events:PutEvents"], resources: ["eventBus"] },
        stateTableGrant("GetItem", "PutItem", "UpdateItem", "DeleteItem"),
      ],
    },
  ],
  rules: [],
};
