import { defineConfig } from "../../packages/core/src/config/index.ts";

/**
 * The Podinfo case: podinfo's API secret (a JSON document holding the token its /token endpoint
 * signs with) is rotated every 7 days by podinfo's own rotation Lambda, and a failed rotation
 * raises an alarm that notifies the platform team over SNS. Switchyard configures the rotation
 * (schedule and function) and, when GitHub reports the token leaked, rotates it at once.
 */
export default defineConfig({
  name: "podinfo",
  secrets: [
    {
      name: "podinfo-api",
      secretId: "podinfo/api",
      // Podinfo ships its own rotation function; Switchyard schedules it and watches for leaks.
      rotator: "custom",
      rotationFunction: "arn:aws:lambda:us-east-1:123456789012:function:podinfo-rotate-api-secret",
      schedule: "rate(7 days)",
      leaks: { repositories: ["stefanprodan/podinfo"], secretTypes: ["generic_api_key"] },
    },
  ],
  secretScanning: { tokenSecret: "switchyard/github-token" },
  // The stack alarms on the rotation functions' Errors metric; the alarm notifies this topic.
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:podinfo-rotation-alerts" },
});
