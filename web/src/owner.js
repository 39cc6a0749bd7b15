// The owner's page: where the session stands, how it ended, its verdict
// (both sides' utilities: the owner sees both) and the record.
import { h, replace, fmt, copyable } from "./dom.js";
import { get, ownerPath } from "./api.js";
import { frontierChart } from "./chart.js";

// utilityOf is a linear profile's utility of an outcome (api.Profile).
function utilityOf(p, o) {
  let u = 0;
  for (const is of p.issues) {
    const opt = is.options.find((x) => x.name === o[is.name]);
    if (!opt) return NaN;
    u += opt.contribution;
  }
  return p.cap_at_one ? Math.min(u, 1) : u;
}

// pathSection plots the offers of the talks in utility space with the
// frontier (the owner sees both sides): the record's offers, scored with
// the scenario's analysis. The analysis is an operator request; without it
// the section says so.
async function pathSection(token, st) {
  const el = h("section", { class: "card", "aria-labelledby": "path-h" }, h("h2", { id: "path-h" }, "The talks in utility space"));
  let an;
  try {
    an = await get(`/api/scenarios/${encodeURIComponent(st.scenario)}/analysis${st.variant ? "?variant=" + encodeURIComponent(st.variant) : ""}`);
  } catch (e) {
    el.append(h("p", { class: "muted" }, `The plot needs the scenario's analysis, an operator request: ${e.message}`));
    return el;
  }
  if (an.parties.length < 2 || !an.profiles.every((p) => p.linear)) {
    el.append(h("p", { class: "muted" }, "The plot is drawn for two or more parties with linear profiles only."));
    return el;
  }
  const r = await fetch(ownerPath(token) + "/record");
  const lines = (await r.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const path = [];
  for (const e of lines) {
    if (!e.outcome || e.kind === "header") continue;
    const u = an.profiles.map((p) => utilityOf(p, e.outcome));
    if (u.every((x) => !Number.isNaN(x))) path.push([u[0], u[1]]);
  }
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": `Every offer and text of the talks (${path.length}) in the utility space of ${an.parties[0]} and ${an.parties[1]}, with the Pareto frontier, Nash and Kalai–Smorodinsky` });
  el.append(h("p", {}, `${path.length} offers and texts, each at its utility to ${an.parties[0]} (across) and ${an.parties[1]} (up).`), chartEl);
  setTimeout(() => frontierChart(chartEl, { ...an, path }), 0);
  return el;
}

export async function ownerPage(main, token) {
  let timer = null;
  async function load() {
    let st;
    try { st = await get(ownerPath(token)); } catch (e) { replace(main, h("h1", {}, "Session"), h("p", { class: "error", role: "alert" }, e.message)); return; }
    const v = st.verdict;
    replace(main,
      h("h1", {}, `Session ${st.session}`),
      h("dl", { class: "facts" },
        h("dt", {}, "Scenario"), h("dd", {}, st.scenario + (st.variant ? ` (${st.variant})` : "")),
        h("dt", {}, "Protocol"), h("dd", {}, st.protocol),
        h("dt", {}, "Status"), h("dd", { role: "status" }, st.status + (st.waiting ? ` — waiting for ${st.waiting.role} (${st.waiting.kind})` : "")),
        h("dt", {}, "Step / round"), h("dd", {}, `${st.step} / ${st.round}`),
        h("dt", {}, "Seats"), h("dd", {}, st.seats.map((s) => `${s.role}: ${s.kind}`).join(", "))),
      st.end ? h("section", { class: "card" }, h("h2", {}, "How it ended"), h("p", {}, `${st.end.status}: ${st.end.reason}`),
        st.end.agreement ? h("ul", {}, Object.entries(st.end.agreement).map(([k, x]) => h("li", {}, `${k}: ${x}`))) : null) : null,
      v ? h("section", { class: "card" }, h("h2", {}, "Verdict"),
        h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Party"), h("th", { scope: "col" }, "Seat"), h("th", { scope: "col" }, "Utility"), h("th", { scope: "col" }, "Walk-away"))),
          h("tbody", {}, v.parties.map((p) => h("tr", {}, h("td", {}, p.id), h("td", {}, p.seat), h("td", { class: "num" }, fmt(p.utility)), h("td", { class: "num" }, fmt(p.reservation)))))),
        h("p", {}, `Distance to the Pareto frontier ${fmt(v.distance_pareto)}, to Nash ${fmt(v.distance_nash)}, to Kalai ${fmt(v.distance_kalai)}; zone of agreement ${v.zone_of_agreement.toLocaleString("en")} of ${Number(v.outcomes).toLocaleString("en")} outcomes.`)) : null,
      st.end ? h("section", { class: "card" }, h("h2", {}, "Record"),
        h("p", {}, h("a", { href: ownerPath(token) + "/record", download: `${st.session}.jsonl` }, "Download the signed record")),
        h("p", {}, "Verify it with:"), copyable("verify command", `backchannel record verify --key server.pub ${st.session}.jsonl`)) : null);
    if (st.end) main.append(await pathSection(token, st));
    if (!st.end) timer = setTimeout(load, 2000);
  }
  await load();
  return () => clearTimeout(timer);
}
