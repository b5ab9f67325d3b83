import { performance } from "node:perf_hooks";
import { parseConfig } from "@switchyard/core/config/index";
import {
  alarmStateChange,
  digestOf,
  imagePush,
  imageScan,
} from "/work/main/packages/cli/src/bench/events.ts";
import { startControlPlane } from "/work/main/packages/cli/src/local/control-plane.ts";

const config = parseConfig({
  deployments: [
    {
      name: "api",
      function: "api-handler",
      alias: "live",
      image: { repository: "my-repository-name", tag: "latest" },
      strategy: "Canary10Percent5Minutes",
      alarms: ["ServerCpuTooHigh"],
      gates: { scan: { threshold: "HIGH" } },
    },
  ],
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:switchyard-notifications" },
  safety: { actionLimit: { max: 1000000, window: "1h" } },
});
const t0 = performance.now();
const plane = await startControlPlane(config);
console.log("start", performance.now() - t0);
let mark: number | undefined;
let seen: number | undefined;
plane.account.onCall((c) => {
  if (
    c.service === "lambda" &&
    c.action === "UpdateAlias" &&
    c.principal === "switchyard-rollback" &&
    mark !== undefined &&
    seen === undefined
  )
    seen = performance.now();
});
const lat: number[] = [];
const setup: number[] = [];
for (let i = 0; i < 50; i++) {
  const s = performance.now();
  plane.account.cloudwatch.observeState("ServerCpuTooHigh", "OK");
  const d = digestOf(i);
  await plane.deliver(imagePush("my-repository-name", "latest", d, plane.account.clock.iso()));
  await plane.deliver(imageScan("my-repository-name", d, { LOW: 1 }, plane.account.clock.iso()));
  setup.push(performance.now() - s);
  const a = plane.aliases()["api-handler:live"];
  plane.account.cloudwatch.observeState("ServerCpuTooHigh", "ALARM");
  const ev = alarmStateChange("ServerCpuTooHigh", "ALARM", plane.account.clock.iso());
  seen = undefined;
  mark = performance.now();
  const delivery = await plane.deliver(ev);
  lat.push((seen ?? NaN) - mark);
  mark = undefined;
  if (i < 2)
    console.log(
      JSON.stringify(a),
      JSON.stringify(plane.aliases()),
      JSON.stringify(delivery.outcomes[0]?.result),
    );
}
console.log(lat.map((x) => x.toFixed(2)).join(" "));
console.log(setup.map((x) => x.toFixed(1)).join(" "));
await plane.close();
