import { defineConfig } from "../../packages/core/src/config/index.ts";

/**
 * The Podinfo case: podinfo (github.com/stefanprodan/podinfo, the small Go web app Flagger's and
 * Argo Rollouts' tutorials deploy) runs on Lambda as two functions, its frontend and its backend,
 * each behind a `live` alias, released by pushing the image to ECR.
 *
 * - The frontend goes out as a canary 10% → 50% → 100%, guarded by its 5xx alarm: the moment
 *   the alarm goes to ALARM mid-canary, the alias goes back to the stable version (the
 *   metric-triggered rollback Flagger's tutorial shows, event-driven instead of polled).
 * - The backend goes out blue/green: all of its traffic moves to the new version at once, then a
 *   post-traffic hook (podinfo's own smoke test, CodeDeploy's AfterAllowTraffic) checks it; a
 *   failed check puts 100% back on the old version in one alias update.
 * - Podinfo's API secret (a JSON document holding the token its /token endpoint signs with) is
 *   rotated every 7 days by podinfo's own rotation Lambda, and a failed rotation raises an alarm
 *   that notifies the platform team over SNS. Switchyard configures the rotation (schedule and
 *   function) and, when GitHub reports the token leaked, rotates it at once.
 */
export default defineConfig({
  name: "podinfo",
  deployments: [
    {
      name: "frontend",
      function: "podinfo-frontend",
      alias: "live",
      image: { repository: "podinfo-frontend", tag: "latest" },
      strategy: {
        steps: [{ weight: 10, pause: "5m" }, { weight: 50, pause: "5m" }, { weight: 100 }],
      },
      // The frontend's HTTP 5xx rate over one minute, above 1% (the alarm is the team's; the
      // stack watches its state changes).
      alarms: ["PodinfoFrontend5xx"],
    },
    {
      name: "backend",
      function: "podinfo-backend",
      alias: "live",
      image: { repository: "podinfo-backend", tag: "latest" },
      // Blue/green on an alias: the new version takes 100% in one step, the old one stays
      // published, so a rollback is one UpdateAlias back to it.
      strategy: "AllAtOnce",
      alarms: ["PodinfoBackendErrors"],
      hooks: {
        // podinfo-smoke-test calls the new version's /readyz, /api/info and /api/echo through the
        // alias and reports Succeeded or Failed with putLifecycleEventHookExecutionStatus.
        afterAllowTraffic: [{ lambda: { function: "podinfo-smoke-test", timeout: "2m" } }],
      },
    },
  ],
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
  // The stack alarms on the rotation functions' Errors metric; the alarm notifies this topic, and
  // so does every deployment (started, each step, rolled back with the reason, deployed).
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:podinfo-rotation-alerts" },
});
