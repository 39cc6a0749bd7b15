// The scenario catalogue: list, upload, and one scenario's page with its
// analysis. The analysis shows every party's preferences: it is the
// operator's and analyst's view, never part of a room (docs/workbench.md).
import { h, replace, fmt, field, uid } from "./dom.js";
import { get, APIError, operatorToken } from "./api.js";

// needsOperator rethrows an error the router answers with the operator
// token form.
const needsOperator = (e) => { if (e instanceof APIError && (e.status === 401 || e.code === "operator_only")) throw e; };
import { frontierChart } from "./chart.js";

const enc = encodeURIComponent;

export async function scenarioList(main) {
  replace(main, h("h1", {}, "Scenarios"), h("p", {}, "Loading…"));
  let list = [];
  try { list = (await get("/api/scenarios")).scenarios || []; } catch (e) { needsOperator(e); replace(main, h("h1", {}, "Scenarios"), h("p", { class: "error", role: "alert" }, e.message)); return; }
  const files = h("input", { type: "file", id: uid("files"), multiple: true, accept: ".yaml,.yml,.json,.xml" });
  const errEl = h("div", { class: "msg", role: "alert", "aria-live": "assertive" });
  const form = h("form", { class: "card", "aria-labelledby": "up-h", onsubmit: async (e) => {
    e.preventDefault();
    errEl.replaceChildren();
    errEl.className = "msg";
    if (!files.files.length) { errEl.className = "msg error"; errEl.textContent = "Choose one or more files first."; files.focus(); return; }
    const fd = new FormData();
    for (const f of files.files) fd.append("files", f, f.name);
    try {
      const r = await fetch("/api/scenarios", { method: "POST", body: fd, headers: { Accept: "application/json", ...(operatorToken() ? { Authorization: "Bearer " + operatorToken() } : {}) } });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new APIError(r.status, body);
      location.hash = `#/scenario/${enc(body.id)}`;
    } catch (err) {
      errEl.className = "msg error";
      replace(errEl, h("strong", {}, "The upload was refused: "), h("pre", { class: "errtext" }, err.message));
      files.setAttribute("aria-invalid", "true");
      files.focus();
    }
  } },
    h("h2", { id: "up-h" }, "Upload a scenario"),
    h("p", {}, "A native YAML/JSON file, a GeniusWeb profile or domain with its profiles, or a GENIUS domain with its profiles (XML)."),
    field("Scenario files", files), h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Upload")), errEl);
  replace(main, h("h1", {}, "Scenarios"),
    h("section", { class: "card", "aria-labelledby": "list-h" }, h("h2", { id: "list-h" }, "Available"),
      h("ul", { class: "list" }, list.map((s) => h("li", {},
        h("a", { href: `#/scenario/${enc(s.id)}` }, s.title || s.id), " ", h("span", { class: "muted mono" }, s.id),
        s.outcomes ? h("span", { class: "muted" }, ` · ${Number(s.outcomes).toLocaleString("en")} outcomes`) : null,
        " ", h("a", { href: `#/new?scenario=${enc(s.id)}`, class: "small", "aria-label": `New session with ${s.title || s.id}` }, "new session"))))),
    form);
}

export async function scenarioPage(main, id, variant) {
  replace(main, h("h1", {}, "Scenario"), h("p", {}, "Loading…"));
  let info;
  try { info = await get(`/api/scenarios/${enc(id)}`); } catch (e) { needsOperator(e); replace(main, h("h1", {}, "Scenario"), h("p", { class: "error", role: "alert" }, e.message)); return; }
  const varSel = h("select", { id: uid("var"), onchange: () => { location.hash = `#/scenario/${enc(id)}${varSel.value ? "?variant=" + enc(varSel.value) : ""}`; } },
    h("option", { value: "" }, "(the scenario as written)"), (info.variants || []).map((v) => h("option", { value: v, selected: v === variant }, v)));
  const anEl = h("section", { class: "card", "aria-labelledby": "an-h" }, h("h2", { id: "an-h" }, "Analysis"), h("p", { class: "muted" }, "Analysing…"));
  replace(main,
    h("h1", {}, info.title),
    h("p", { class: "muted mono" }, id),
    info.description ? h("p", {}, info.description) : null,
    (info.warnings || []).length ? h("ul", { class: "warn" }, info.warnings.map((w) => h("li", {}, w))) : null,
    h("div", { class: "row" }, (info.variants || []).length ? field("Variant", varSel) : null, h("a", { class: "button", href: `#/new?scenario=${enc(id)}${variant ? "&variant=" + enc(variant) : ""}` }, "Start a session with it")),
    h("p", { class: "note" }, "This page shows every party's preferences and the analysis; people taking part in a session see only their own side, in their room."),
    anEl);
  let an;
  try { an = await get(`/api/scenarios/${enc(id)}/analysis${variant ? "?variant=" + enc(variant) : ""}`); } catch (e) { needsOperator(e); replace(anEl, h("h2", { id: "an-h" }, "Analysis"), h("p", { class: "error", role: "alert" }, e.message)); return; }
  const count = (n) => (n < 0 ? "not enumerated" : n.toLocaleString("en"));
  const pointRow = (name, p) => p ? h("tr", {}, h("th", { scope: "row" }, name), p.utility.map((u) => h("td", { class: "num" }, fmt(u)))) : null;
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": `Pareto frontier of ${an.parties.slice(0, 2).join(" and ")} with the Nash and Kalai–Smorodinsky points` });
  replace(anEl,
    h("h2", { id: "an-h" }, "Analysis"),
    h("dl", { class: "facts" },
      h("dt", {}, "Outcomes"), h("dd", {}, Number(an.outcomes).toLocaleString("en")),
      h("dt", {}, "Feasible"), h("dd", {}, count(an.feasible)),
      h("dt", {}, "Zone of agreement"), h("dd", {}, `${count(an.zone_of_agreement)} outcomes acceptable to every party`),
      h("dt", {}, "Pareto frontier"), h("dd", {}, `${an.frontier_size.toLocaleString("en")} points${an.exact ? "" : ` (within ${an.epsilon})`}`)),
    h("table", { class: "points" }, h("caption", {}, "Reference points (utility to each party)"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Point"), an.parties.map((p) => h("th", { scope: "col", class: "num" }, p)))),
      h("tbody", {}, h("tr", {}, h("th", { scope: "row" }, "Walk-away (reservation)"), an.reservation.map((u) => h("td", { class: "num" }, fmt(u)))), pointRow("Nash", an.nash), pointRow("Kalai–Smorodinsky", an.kalai))),
    an.parties.length >= 2 ? chartEl : null,
    an.nash ? h("details", {}, h("summary", {}, "The Nash package"), h("ul", {}, Object.entries(an.nash.outcome).map(([k, v]) => h("li", {}, `${k}: ${v}`)))) : null);
  if (an.parties.length >= 2) frontierChart(chartEl, an);
  // preferences side by side
  const prefs = h("section", { class: "card", "aria-labelledby": "pref-h" }, h("h2", { id: "pref-h" }, "Issues, options and each party's values"),
    h("div", { class: "hscroll" }, h("table", { class: "profile" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Issue"), h("th", { scope: "col" }, "Option"), an.profiles.map((p) => h("th", { scope: "col", class: "num" }, `${p.party} (rv ${fmt(p.reservation)})`)))),
      (an.profiles[0] ? an.profiles[0].issues : []).map((is, i) => h("tbody", {}, is.options.map((o, k) => h("tr", {},
        k === 0 ? h("th", { scope: "rowgroup", rowspan: String(is.options.length) }, is.title || is.name) : null,
        h("td", {}, o.label || o.name),
        an.profiles.map((p) => { const po = p.issues[i].options[k]; return h("td", { class: "num" + (po.red_line ? " redline" : "") }, `${fmt(po.value)} ×${fmt(p.issues[i].weight)}`, po.red_line ? h("strong", { class: "tag" }, " red line") : null); }))))))));
  const rationale = an.profiles.filter((p) => p.rationale && Object.keys(p.rationale).length).map((p) =>
    h("details", {}, h("summary", {}, `Why ${p.name || p.party}'s numbers are what they are`), h("dl", {}, Object.entries(p.rationale).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))));
  main.append(prefs,
    (an.rules || []).length ? h("section", { class: "card" }, h("h2", {}, "Feasibility rules"), h("ul", {}, an.rules.map((r) => h("li", {}, h("strong", {}, r.id), r.note ? ": " + r.note : "")))) : null,
    rationale.length ? h("section", { class: "card" }, h("h2", {}, "Rationale"), rationale) : null,
    (an.sources || []).length ? h("section", { class: "card" }, h("h2", {}, "Sources"), h("ul", { class: "sources" }, an.sources.map((s) => h("li", {}, h("span", { class: "mono" }, s.id), " ", s.url ? h("a", { href: s.url, rel: "noreferrer noopener", target: "_blank" }, s.title || s.url) : s.title, s.date ? ` (${s.date})` : "")))) : null);
}
