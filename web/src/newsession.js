// The new-session form: scenario, variant, protocol, deadline, and who
// fills each seat; then the links to hand out.
import { h, replace, field, uid, copyable } from "./dom.js";
import { get, post, tokenOf } from "./api.js";

const enc = encodeURIComponent;

export async function newSession(main, params) {
  replace(main, h("h1", {}, "New session"), h("p", {}, "Loading…"));
  const [list, protocols, strategies] = await Promise.all([
    get("/api/scenarios").then((r) => r.scenarios || []),
    get("/api/protocols").then((r) => r.protocols || []),
    get("/api/strategies").then((r) => r.strategies || []),
  ]);
  const scSel = h("select", { id: uid("sc"), required: true }, list.map((s) => h("option", { value: s.id, selected: s.id === params.get("scenario") }, `${s.title || s.id} (${s.id})`)));
  const varSel = h("select", { id: uid("var") });
  const protoSel = h("select", { id: uid("proto"), name: "protocol" }, protocols.map((p) => h("option", { value: p.name, selected: p.name === params.get("protocol") }, `${p.name} — ${p.summary}`)));
  const rounds = h("input", { type: "number", id: uid("rounds"), name: "rounds", min: "1", max: "100000", value: "60", inputmode: "numeric" });
  const time = h("input", { type: "text", id: uid("time"), placeholder: "e.g. 30m", pattern: "^$|^[0-9.]+(ms|s|m|h)([0-9.]+(ms|s|m|h))*$" });
  const moveTime = h("input", { type: "text", id: uid("mt"), placeholder: "e.g. 2m", pattern: "^$|^[0-9.]+(ms|s|m|h)([0-9.]+(ms|s|m|h))*$" });
  const seed = h("input", { type: "number", id: uid("seed"), min: "0", value: "1" });
  const seatsEl = h("fieldset", { class: "seats" });
  const errEl = h("p", { class: "msg", role: "alert", "aria-live": "assertive" });
  const out = h("div", { "aria-live": "polite" });
  let info = null;
  const seatCtl = {};

  function seatRow(role, isMediator, def) {
    const kind = h("select", { id: uid("kind"), name: `seat-${role}` },
      isMediator ? h("option", { value: "builtin" }, "the protocol's built-in mediator") : h("option", { value: "strategy" }, "a built-in strategy"),
      h("option", { value: "person", selected: def === "person" }, "a person (invite link)"),
      h("option", { value: "agent" }, "a remote agent (link + command)"));
    const strat = h("input", { type: "text", id: uid("strat"), name: `strategy-${role}`, list: "strategies", value: "boulware" });
    const stratField = field(`Strategy for ${role}`, strat, "a name, or NAME:KEY=VALUE (see backchannel strategies)");
    const sync = () => { stratField.hidden = kind.value !== "strategy"; };
    kind.addEventListener("change", sync);
    sync();
    seatCtl[role] = { kind, strat };
    return h("div", { class: "seat" }, field(`Who sits for ${role}`, kind), isMediator ? null : stratField);
  }
  function renderSeats() {
    seatsEl.replaceChildren(h("legend", {}, "Seats"));
    for (const k of Object.keys(seatCtl)) delete seatCtl[k];
    if (!info) return;
    (info.parties || []).forEach((p, i) => seatsEl.append(seatRow(p.id, false, i === 0 ? "person" : "strategy")));
    const hasMed = (protocols.find((p) => p.name === protoSel.value) || {}).mediator;
    if (hasMed) seatsEl.append(seatRow("mediator", true, "builtin"));
  }
  async function loadScenario() {
    info = await get(`/api/scenarios/${enc(scSel.value)}`);
    replace(varSel, h("option", { value: "" }, "(as written)"), (info.variants || []).map((v) => h("option", { value: v, selected: v === params.get("variant") }, v)));
    varSel.disabled = !(info.variants || []).length;
    renderSeats();
  }
  scSel.addEventListener("change", loadScenario);
  protoSel.addEventListener("change", renderSeats);

  const form = h("form", { class: "card", onsubmit: async (e) => {
    e.preventDefault();
    errEl.textContent = "";
    errEl.className = "msg";
    const seats = {};
    for (const [role, c] of Object.entries(seatCtl)) seats[role] = c.kind.value === "strategy" ? c.strat.value.trim() : c.kind.value;
    const body = { scenario: scSel.value, protocol: protoSel.value, deadline: {}, seats, seed: Number(seed.value || 1) };
    if (varSel.value) body.variant = varSel.value;
    if (rounds.value) body.deadline.rounds = Number(rounds.value);
    if (time.value) body.deadline.time = time.value;
    if (moveTime.value) body.deadline.move_time = moveTime.value;
    try {
      const c = await post("/api/sessions", body);
      showLinks(c, seats);
    } catch (err) {
      errEl.className = "msg error";
      errEl.textContent = err.message + (err.field ? ` (field: ${err.field})` : "");
    }
  } },
    field("Scenario", scSel), field("Variant", varSel), field("Protocol", protoSel),
    h("fieldset", {}, h("legend", {}, "Deadline"), h("div", { class: "row" }, field("Rounds", rounds), field("Wall time", time, "Go duration, empty for none"), field("Time per move", moveTime, "empty for none"))),
    field("Seed", seed, "same seed, same built-in strategies' moves"),
    seatsEl,
    h("datalist", { id: "strategies" }, strategies.map((s) => h("option", { value: s.name }, s.summary))),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Start the session")), errEl);

  function showLinks(c, seats) {
    const origin = location.origin;
    const items = [h("h2", { id: "links-h", tabindex: "-1" }, `Session ${c.session} started`),
      h("p", {}, "Each link opens one seat and only that seat: hand each to the person or program that fills it, and keep them secret. They are shown once."),
      h("h3", {}, "Owner (you)"), copyable("owner's page", `${origin}/#/owner/${tokenOf(c.owner)}`),
      h("p", {}, h("a", { href: `#/owner/${tokenOf(c.owner)}` }, "Open the owner's page"))];
    for (const [role, link] of Object.entries(c.seats || {})) {
      items.push(h("h3", {}, role));
      if (seats[role] === "agent") {
        items.push(copyable(`${role}'s seat link`, link),
          h("p", {}, "Start the Python example agent (clients/python in the repository, standard library only) with:"),
          copyable(`Python command for ${role}`, `python3 clients/python/example_agent.py ${link}`),
          h("p", {}, "or a built-in strategy as a remote agent with:"), copyable(`command for ${role}`, `backchannel agent --seat ${link} --strategy boulware`));
      } else {
        const room = `${origin}/#/seat/${tokenOf(link)}`;
        items.push(copyable(`${role}'s invite link`, room), h("p", {}, h("a", { href: room, target: "_blank", rel: "noopener noreferrer" }, `Open ${role}'s room`)));
      }
    }
    replace(out, h("section", { class: "card links", "aria-labelledby": "links-h" }, items));
    out.querySelector("h2").focus();
  }

  if (list.length) await loadScenario(); // the seats are there before the form is shown
  replace(main, h("h1", {}, "New session"), form, out);
}
