// The Switchyard dev dashboard: renders the state `switchyard dev` streams (server-sent events)
// and posts operator actions to its API. Plain DOM, no build step. Each section is rendered
// whole from the state; focus and typed text are kept across renders by each control's data-key.

/** @type {any} */
let state;
/** Virtual clock: the server's instant, when we heard it, and its speed. */
let clock = { now: 0, at: Date.now(), speed: 1 };
/** Text typed into the forms, by data-key, so a re-render never loses it. */
const drafts = new Map();
const rendered = new Map();

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const virtualNow = () => clock.now + (Date.now() - clock.at) * clock.speed;

/** Creates an element: h("p", { class: "x" }, "text", child). Attributes starting with "on" are listeners. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false || value === null) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children)
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

/** Seconds as h:mm:ss. */
function hms(seconds) {
  const t = Math.max(0, Math.round(seconds));
  const mm = String(Math.floor((t % 3600) / 60)).padStart(2, "0");
  const ss = String(t % 60).padStart(2, "0");
  return `${Math.floor(t / 3600)}:${mm}:${ss}`;
}

const when = (iso) =>
  iso
    ? new Date(iso)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z")
    : "—";

/** A state in words, with a tone for colour and a symbol so it reads without colour. */
function stateText(text, tone) {
  const symbol = { ok: "✓", bad: "✗", warn: "!" }[tone] ?? "•";
  return h("span", { class: "state", "data-tone": tone }, `${symbol} ${text}`);
}

function toneOfAlarm(value) {
  return value === "OK" ? "ok" : value === "ALARM" ? "bad" : "warn";
}

function toneOfDeployment(status) {
  return { succeeded: "ok", shifting: "warn", "rolled-back": "bad", failed: "bad" }[status] ?? "";
}

// ---- actions -------------------------------------------------------------------------------

function notify(text) {
  $("notice").textContent = text;
}

function actingAs() {
  const input = /** @type {HTMLInputElement} */ ($("acting-as"));
  const name = input.value.trim();
  if (!name) {
    notify("Enter your name in “Acting as” first: every action is recorded with who took it.");
    input.focus();
  }
  return name;
}

async function act(action, describe) {
  const by = actingAs();
  if (!by) return;
  notify(`${describe}…`);
  try {
    const res = await fetch("/api/actions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...action, by }),
    });
    const out = await res.json();
    if (out.ok) {
      const detail = out.result?.detail ? `: ${out.result.outcome} — ${out.result.detail}` : "";
      notify(`${describe}: done by ${by}${detail}`);
    } else notify(`${describe} failed: ${out.error}`);
  } catch (error) {
    notify(`${describe} failed: ${error}`);
  }
}

/**
 * A button that acts. On a read-only dashboard (`switchyard ui --aws` without --allow-actions)
 * it is disabled, its tooltip saying how to enable it.
 */
function actionButton(attrs, ...children) {
  const readOnly = state.account && !state.account.actions ? state.account.readOnly : undefined;
  return h("button", readOnly ? { ...attrs, disabled: true, title: readOnly } : attrs, ...children);
}

/** A text input whose value survives re-renders. */
function draftInput(key, label, placeholder) {
  const id = `in-${key.replace(/[^a-z0-9-]/gi, "-")}`;
  const input = h("input", {
    type: "text",
    id,
    "data-key": key,
    placeholder,
    oninput: (e) => drafts.set(key, e.target.value),
  });
  input.value = drafts.get(key) ?? "";
  return h("label", { for: id }, label, input);
}

function reasonOf(key) {
  return (drafts.get(key) ?? "").trim();
}

// ---- sections ------------------------------------------------------------------------------

function killSwitch(k) {
  const paused = k.paused === true;
  const key = "reason:kill-switch";
  return [
    h(
      "p",
      {},
      "Automation: ",
      paused ? stateText("PAUSED", "bad") : stateText("RUNNING", "ok"),
      paused ? ` — ${k.reason ?? ""}${k.by ? ` (by ${k.by}, ${when(k.at)})` : ""}` : "",
    ),
    h(
      "div",
      { class: "controls" },
      draftInput(key, "Reason (for the audit log)", paused ? "incident resolved" : "incident 4711"),
      actionButton(
        {
          type: "button",
          class: paused ? "" : "danger",
          "data-key": "kill-switch",
          onclick: () => {
            const reason = reasonOf(key);
            if (!reason) return notify("Give a reason: it goes into the audit log.");
            drafts.delete(key);
            act(
              { do: paused ? "resume" : "pause", reason },
              paused ? "Resume automation" : "Pause all automation",
            );
          },
        },
        paused ? "Resume automation" : "Pause all automation",
      ),
    ),
  ];
}

/** The share of traffic each version gets at a point of the alias's routing, in percent. */
function shares(point) {
  const extra = Object.entries(point.weights);
  const out = { [point.version]: Math.round((1 - extra.reduce((sum, [, w]) => sum + w, 0)) * 100) };
  for (const [v, w] of extra) out[v] = Math.round(w * 100);
  return out;
}

function routingText(point) {
  if (!point) return "—";
  return Object.entries(shares(point))
    .map(([v, p]) => `v${v} ${p}%`)
    .join(" / ");
}

/** The alias weights over virtual time: one stepped line per version (dashed differently), labelled. */
function weightChart(d) {
  const points = d.series;
  // A narrow screen gets a narrower drawing, so its text stays readable once scaled to the width.
  const narrow = window.innerWidth < 600;
  const W = narrow ? 360 : 640;
  const H = narrow ? 150 : 170;
  const left = 40;
  const right = 64;
  const top = 10;
  const bottom = 26;
  const t0 = points[0]?.at ?? state.now;
  // Room after the last change, so a change that just happened (a rollback) shows as a step.
  const last = Math.max(state.now, points.at(-1)?.at ?? t0, t0 + 60_000);
  const t1 = last + (last - t0) * 0.15;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  const y = (p) => top + (1 - p / 100) * (H - top - bottom);
  const versions = [...new Set(points.flatMap((p) => Object.keys(shares(p))))].slice(-3);
  const svg = s("svg", {
    class: "chart",
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-labelledby": `chart-title-${d.name}`,
  });
  svg.append(
    s(
      "title",
      { id: `chart-title-${d.name}` },
      `Traffic on ${d.alias} over time: now ${routingText(points.at(-1))}`,
    ),
  );
  for (const p of [0, 50, 100]) {
    svg.append(s("line", { class: p === 0 ? "axis" : "grid", x1: left, x2: W - right, y1: y(p), y2: y(p) }));
    svg.append(s("text", { x: left - 6, y: y(p) + 4, "text-anchor": "end" }, `${p}%`));
  }
  svg.append(s("text", { x: left, y: H - 6 }, when(new Date(t0).toISOString()).slice(11)));
  svg.append(
    s("text", { x: W - right, y: H - 6, "text-anchor": "end" }, when(new Date(t1).toISOString()).slice(11)),
  );
  const dashes = ["", "7 4", "2 3"];
  versions.forEach((v, i) => {
    let path = "";
    let now;
    for (const p of points) {
      const share = shares(p)[v] ?? 0;
      path += now === undefined ? `M${x(p.at)},${y(share)}` : `H${x(p.at)}V${y(share)}`;
      now = share;
    }
    path += `H${x(t1)}`;
    const attrs = { class: `series series-${i}`, d: path };
    if (dashes[i]) attrs["stroke-dasharray"] = dashes[i];
    svg.append(s("path", attrs));
    svg.append(
      s("text", { class: "label", x: x(t1) + 6, y: y(now ?? 0) + 4 + i * 12 }, `v${v} ${now ?? 0}%`),
    );
  });
  return svg;
}

function seriesTable(d) {
  return h(
    "details",
    {},
    h("summary", {}, "Weights over time, as a table"),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, "virtual time"), h("th", { scope: "col" }, "routing")),
      ),
      h(
        "tbody",
        {},
        d.series.map((p) =>
          h("tr", {}, h("td", {}, when(new Date(p.at).toISOString())), h("td", {}, routingText(p))),
        ),
      ),
    ),
  );
}

function scanText(scan) {
  if (!scan) return "no scan recorded for this image";
  const counts = Object.entries(scan.severityCounts ?? {})
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  return `${scan.status}: ${counts || "no findings"}${scan.threshold ? ` (gate blocks at ${scan.threshold} and above)` : ""}`;
}

function deployment(d) {
  const r = d.record;
  const key = `reason:${d.name}`;
  const shifting = r?.status === "shifting";
  const last = d.series.at(-1);
  const bake =
    d.step?.bakeUntil !== undefined
      ? h("span", { "data-bake-until": d.step.bakeUntil }, hms((d.step.bakeUntil - virtualNow()) / 1000))
      : "—";
  const facts = [
    ["Serving", h("span", { class: "routing", "data-testid": `routing-${d.name}` }, routingText(last))],
    [
      "Deployment",
      r
        ? h(
            "span",
            { "data-testid": `deployment-status-${d.name}` },
            stateText(r.status.toUpperCase(), toneOfDeployment(r.status)),
            ` v${r.stableVersion} → v${r.newVersion || "?"}`,
          )
        : h("span", { "data-testid": `deployment-status-${d.name}` }, "none yet"),
    ],
    ["Step", d.step ? `${d.step.index} of ${d.step.of} (${d.step.percent}% on the new version)` : "—"],
    ["Bake left", bake],
    [
      "Alarms",
      d.alarms.length
        ? h(
            "ul",
            {},
            d.alarms.map((a) => h("li", {}, `${a.name}: `, stateText(a.state, toneOfAlarm(a.state)))),
          )
        : "none",
    ],
    ["Scan", r ? scanText(d.scan) : "—"],
    ...(d.waitingForApproval
      ? [
          [
            "Approval",
            h(
              "span",
              { "data-testid": `deployment-approval-${d.name}` },
              stateText("WAITING FOR APPROVAL", "warn"),
              ` of step ${d.waitingForApproval.step} since ${when(d.waitingForApproval.askedAt)}`,
            ),
          ],
        ]
      : []),
  ];
  return h(
    "article",
    { class: "card", "data-testid": `deployment-${d.name}`, "aria-labelledby": `dep-${d.name}` },
    h("h3", { id: `dep-${d.name}` }, d.name, h("span", { class: "muted" }, ` ${d.alias}`)),
    weightChart(d),
    seriesTable(d),
    h(
      "dl",
      { class: "facts" },
      facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    ),
    r?.reason ? h("p", { class: "muted" }, r.reason) : null,
    d.waitingForApproval ? approvalControls(d.name, d.waitingForApproval.step) : null,
    h(
      "div",
      { class: "controls" },
      draftInput(key, `Reason to roll back or promote ${d.name}`, "why"),
      actionButton(
        {
          type: "button",
          class: "danger",
          "data-key": `rollback:${d.name}`,
          disabled: !(shifting || r?.status === "succeeded"),
          onclick: () => {
            const reason = reasonOf(key);
            if (!reason) return notify(`Give a reason to roll back ${d.name}.`);
            act({ do: "rollback", deployment: d.name, reason }, `Roll back ${d.name}`);
          },
        },
        "Roll back",
      ),
      actionButton(
        {
          type: "button",
          class: "secondary",
          "data-key": `promote:${d.name}`,
          disabled: !shifting,
          onclick: () => {
            const reason = reasonOf(key);
            if (!reason) return notify(`Give a reason to promote ${d.name}.`);
            act({ do: "promote", deployment: d.name, reason }, `Promote ${d.name}`);
          },
        },
        "Promote now",
      ),
    ),
  );
}

/**
 * Approve / Deny for a deployment waiting at its approval gate: each asks for a reason and sends
 * the action `switchyard approve|deny DEPLOYMENT --reason R` takes (deploy-approve / deploy-deny).
 */
function approvalControls(name, step) {
  const key = `approval:${name}`;
  const answer = (decision) => () => {
    const reason = reasonOf(key);
    if (!reason)
      return notify(`Give a reason to ${decision} step ${step} of ${name}: it goes into the audit log.`);
    const verb = decision === "approve" ? "Approve" : "Deny";
    act({ do: `deploy-${decision}`, deployment: name, reason }, `${verb} step ${step} of ${name}`);
  };
  return h(
    "div",
    { class: "controls" },
    draftInput(key, `Reason to approve or deny step ${step} of ${name}`, "why"),
    actionButton(
      {
        type: "button",
        "data-key": `deploy-approve:${name}`,
        "aria-label": `Approve step ${step} of ${name}`,
        onclick: answer("approve"),
      },
      "Approve",
    ),
    actionButton(
      {
        type: "button",
        class: "danger",
        "data-key": `deploy-deny:${name}`,
        "aria-label": `Deny step ${step} of ${name}`,
        onclick: answer("deny"),
      },
      "Deny",
    ),
  );
}

function costResponse(c) {
  const short = c.anomalyId.slice(0, 8);
  return h(
    "article",
    { class: "card", "data-testid": `cost-${c.anomalyId}`, "aria-labelledby": `cost-${c.anomalyId}-title` },
    h(
      "h3",
      { id: `cost-${c.anomalyId}-title` },
      `Anomaly ${short}…`,
      h("span", { class: "muted" }, ` ${c.rule}`),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Tier"),
      h("dd", {}, c.tier),
      h("dt", {}, "Impact"),
      h("dd", {}, `$${Number(c.totalImpact).toLocaleString("en-US")}`),
      h("dt", {}, "Response"),
      h(
        "dd",
        { "data-testid": `cost-state-${c.anomalyId}` },
        c.waitingForApproval
          ? stateText("WAITING FOR APPROVAL", "warn")
          : stateText(c.status.toUpperCase(), c.status === "open" ? "warn" : "ok"),
      ),
    ),
    c.waitingForApproval
      ? h(
          "div",
          { class: "controls" },
          actionButton(
            {
              type: "button",
              "data-key": `approve:${c.anomalyId}`,
              "aria-label": `Approve tier ${c.tier} of anomaly ${c.anomalyId}`,
              onclick: () =>
                act({ do: "approve", anomaly: c.anomalyId }, `Approve tier ${c.tier} of ${short}`),
            },
            "Approve",
          ),
          actionButton(
            {
              type: "button",
              class: "secondary",
              "data-key": `deny:${c.anomalyId}`,
              "aria-label": `Deny tier ${c.tier} of anomaly ${c.anomalyId}`,
              onclick: () => act({ do: "deny", anomaly: c.anomalyId }, `Deny tier ${c.tier} of ${short}`),
            },
            "Deny",
          ),
        )
      : null,
    c.answers.length
      ? h(
          "ul",
          {},
          c.answers.map((a) => h("li", {}, `${a.decision}: ${a.reason} (${when(a.at)})`)),
        )
      : null,
    c.actions.length
      ? h(
          "details",
          { open: true },
          h("summary", {}, `Actions (${c.actions.length})`),
          h(
            "ul",
            {},
            c.actions.map((a) => h("li", {}, h("strong", {}, a.status), ` ${a.type} ${a.target}: ${a.note}`)),
          ),
        )
      : null,
  );
}

function failover(f) {
  const report = f.report;
  const byKey = `dry-${f.runbook}`;
  return h(
    "article",
    { class: "card", "data-testid": `failover-${f.runbook}`, "aria-labelledby": `fo-${f.runbook}` },
    h("h3", { id: `fo-${f.runbook}` }, f.runbook, h("span", { class: "muted" }, ` ${f.from} → ${f.to}`)),
    f.waitingForApproval
      ? [
          h(
            "p",
            {},
            stateText("WAITING FOR APPROVAL", "warn"),
            ` since ${when(f.waitingForApproval.requestedAt)}`,
          ),
          h(
            "div",
            { class: "controls" },
            actionButton(
              {
                type: "button",
                "data-key": `fo-approve:${f.runbook}`,
                onclick: () =>
                  act({ do: "failover-approve", runbook: f.runbook }, `Approve failover ${f.runbook}`),
              },
              "Approve failover",
            ),
            actionButton(
              {
                type: "button",
                class: "secondary",
                "data-key": `fo-deny:${f.runbook}`,
                onclick: () => act({ do: "failover-deny", runbook: f.runbook }, `Deny failover ${f.runbook}`),
              },
              "Deny",
            ),
          ),
        ]
      : null,
    report
      ? [
          h(
            "p",
            {},
            "Last run: ",
            h("strong", {}, report.outcome),
            ` ${report.from} → ${report.to} (${when(f.lastCompletedAt)})`,
          ),
          h(
            "dl",
            { class: "facts" },
            h("dt", {}, "RTO"),
            h(
              "dd",
              {},
              stateText(report.rto.met ? "met" : "missed", report.rto.met ? "ok" : "bad"),
              ` ${hms(report.rto.achievedSeconds)} achieved, target ${hms(report.rto.targetSeconds)} (from ${report.rto.measuredFrom})`,
            ),
            h("dt", {}, "RPO"),
            h(
              "dd",
              {},
              report.rpo.met === null
                ? `n/a (${report.rpo.basis})`
                : [
                    stateText(report.rpo.met ? "met" : "missed", report.rpo.met ? "ok" : "bad"),
                    ` ≈ ${report.rpo.estimateSeconds} s at risk, target ${report.rpo.targetSeconds} s (${report.rpo.basis})`,
                  ],
            ),
          ),
          h(
            "details",
            {},
            h("summary", {}, "Steps"),
            h(
              "table",
              {},
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["step", "outcome", "detail"].map((c) => h("th", { scope: "col" }, c)),
                ),
              ),
              h(
                "tbody",
                {},
                report.steps.map((st) =>
                  h("tr", {}, h("td", {}, st.step), h("td", {}, st.outcome), h("td", {}, st.detail)),
                ),
              ),
            ),
          ),
        ]
      : h("p", { class: "muted" }, "No failover report yet."),
    f.waitingForApproval
      ? null
      : h(
          "div",
          { class: "controls" },
          h(
            "label",
            { for: `in-${byKey}` },
            h("input", {
              type: "checkbox",
              id: `in-${byKey}`,
              "data-key": byKey,
              checked: drafts.get(byKey) === true,
              onchange: (e) => drafts.set(byKey, e.target.checked),
            }),
            " dry run (plan only)",
          ),
          actionButton(
            {
              type: "button",
              class: "secondary",
              "data-key": `fo-start:${f.runbook}`,
              onclick: () =>
                act(
                  { do: "failover-start", runbook: f.runbook, dryRun: drafts.get(byKey) === true },
                  `Start failover ${f.runbook}`,
                ),
            },
            "Start failover",
          ),
        ),
  );
}

function secretsTable(secrets) {
  if (secrets.length === 0) return h("p", { class: "muted" }, "No secrets in the config.");
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["secret", "rotator", "last rotation", "next rotation", "state"].map((c) =>
          h("th", { scope: "col" }, c),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      secrets.map((x) =>
        h(
          "tr",
          {},
          h("td", {}, x.secret),
          h("td", {}, x.rotator),
          h("td", {}, x.lastRotated ? when(x.lastRotated) : "never"),
          h("td", {}, x.nextRotation ? when(x.nextRotation) : x.rotationEnabled ? "?" : "rotation off"),
          h(
            "td",
            {},
            x.problem
              ? stateText(x.problem, "bad")
              : x.stuck
                ? stateText(`STUCK: version ${x.stuck.version} is AWSPENDING`, "bad")
                : stateText("OK", "ok"),
          ),
        ),
      ),
    ),
  );
}

function timeline(history) {
  if (history.length === 0) return h("p", { class: "muted" }, "Nothing has happened yet: send an event.");
  return h(
    "ol",
    { class: "timeline", "aria-label": "Audit records, newest first" },
    [...history]
      .reverse()
      .slice(0, 300)
      .map((r) =>
        h(
          "li",
          {},
          h("time", { datetime: r.at }, when(r.at)),
          h("span", {}, r.reaction),
          h("strong", {}, r.decision),
          h("span", { class: "reason" }, r.subject ? `${r.subject}: ` : "", r.reason),
        ),
      ),
  );
}

// ---- rendering -----------------------------------------------------------------------------

/** Replaces a section's content when its part of the state changed, keeping focus on the same control. */
function section(id, data, build) {
  const json = JSON.stringify(data);
  if (rendered.get(id) === json) return;
  rendered.set(id, json);
  const body = $(`${id}-body`);
  const active = document.activeElement;
  const key = active && body.contains(active) ? active.getAttribute("data-key") : null;
  body.replaceChildren(...[build(data)].flat());
  if (key) {
    const again = body.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again instanceof HTMLElement && !again.hasAttribute("disabled")) again.focus();
  }
}

/** The header says what the page shows: a dev control plane, or a real account and whether it acts. */
function header() {
  const account = state.account;
  if (!account) return;
  document.title = "Switchyard — AWS";
  $("flavour").textContent = "AWS";
  $("clock-label").textContent = "Time";
  const mode = $("mode");
  mode.hidden = false;
  mode.dataset.tone = account.actions ? "bad" : "ok";
  mode.textContent = account.actions
    ? `${account.where}: actions are enabled, the buttons change this account.`
    : `${account.where}: ${account.readOnly}`;
}

function render() {
  if (!state) return;
  header();
  section("kill-switch", state.killSwitch, killSwitch);
  // The chart's right edge is "now": deployments re-render with the clock only while one shifts.
  section("deployments", { d: state.deployments, now: state.now }, ({ d }) =>
    h("div", { class: "cards" }, d.map(deployment)),
  );
  section("cost", state.cost, (cost) =>
    cost.length
      ? h("div", { class: "cards" }, cost.map(costResponse))
      : h("p", { class: "muted" }, "No cost anomaly has arrived."),
  );
  section("failovers", state.failovers, (f) =>
    f.length
      ? h("div", { class: "cards" }, f.map(failover))
      : h("p", { class: "muted" }, "No runbooks in the config."),
  );
  section("secrets", state.secrets, secretsTable);
  section("timeline", state.history, timeline);
}

function tick() {
  if (!clock.now) return;
  const now = virtualNow();
  $("clock").textContent = new Date(now)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  $("speed").textContent = state?.account
    ? ""
    : clock.speed === 0
      ? "(stopped: switchyard advance moves it)"
      : `(×${clock.speed})`;
  for (const el of document.querySelectorAll("[data-bake-until]"))
    el.textContent = hms((Number(el.getAttribute("data-bake-until")) - now) / 1000);
}

function connect() {
  const events = new EventSource("/api/stream");
  const connection = $("connection");
  events.addEventListener("open", () => {
    connection.dataset.state = "live";
    connection.textContent = "Live";
  });
  events.addEventListener("error", () => {
    connection.dataset.state = "lost";
    connection.textContent = "Connection lost: reconnecting…";
  });
  events.addEventListener("state", (e) => {
    state = JSON.parse(e.data);
    clock = { now: state.now, at: Date.now(), speed: state.speed };
    render();
    tick();
  });
  events.addEventListener("clock", (e) => {
    const c = JSON.parse(e.data);
    clock = { now: c.now, at: Date.now(), speed: c.speed };
    tick();
  });
}

const acting = /** @type {HTMLInputElement} */ ($("acting-as"));
acting.value = localStorage.getItem("switchyard.actingAs") ?? "";
acting.addEventListener("input", () => localStorage.setItem("switchyard.actingAs", acting.value.trim()));
let wasNarrow = window.innerWidth < 600;
window.addEventListener("resize", () => {
  if (wasNarrow === window.innerWidth < 600) return;
  wasNarrow = !wasNarrow;
  rendered.delete("deployments");
  render();
});
setInterval(tick, 1000);
connect();
