// The SST app. Everything it creates is planned in stacks/plan.ts from core's wiring and the
// config; stacks/switchyard.ts turns the plan into resources. SST loads this file before its
// providers exist, so modules are imported inside run(), not at the top.
export default $config({
  app(input) {
    return {
      name: "switchyard",
      // Production keeps its table, queue and secret through `sst remove`; other stages clean up.
      removal: input?.stage === "production" ? "retain" : "remove",
      home: "aws",
    };
  },
  async run() {
    const { default: config } = await import("./switchyard.config.ts");
    const { planStack } = await import("./stacks/plan.ts");
    const { createStack } = await import("./stacks/switchyard.ts");
    // The plan builds every ARN from the config's account and region; deploying elsewhere is refused.
    const [identity, region] = await Promise.all([aws.getCallerIdentity({}), aws.getRegion({})]);
    // IAM's "Managed policies per role" quota is 10 unless the account raised it (up to 20); a
    // config of several hundred deployments needs the raise (docs/decisions/0004-stacks-from-core-data.md).
    const quota = process.env.SWITCHYARD_MANAGED_POLICIES_PER_ROLE;
    const plan = planStack(config, {
      stage: $app.stage,
      target: { account: identity.accountId, region: region.region },
      ...(quota ? { managedPoliciesPerRole: Number(quota) } : {}),
    });
    return createStack(plan);
  },
});
