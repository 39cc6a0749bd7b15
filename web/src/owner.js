// The owner's page: where the session stands, how it ended, its verdict
// (both sides' utilities: the owner sees both) and the record.
import { h, replace, fmt, copyable } from "./dom.js";
import { get, ownerPath } from "./api.js";

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
    if (!st.end) timer = setTimeout(load, 2000);
  }
  await load();
  return () => clearTimeout(timer);
}
