// A seat's room: a party's (its own profile only) or the mediator's. It
// reads the seat's snapshot and live stream (Server-Sent Events, resumed
// after a reconnect), and answers the turn's request as request.allowed
// says. Nothing here asks about any other party's preferences: the seat
// link cannot read them, and the room never calls the scenario routes.
import { h, replace, fmt, field, uid } from "./dom.js";
import { get, post, seatPath, APIError } from "./api.js";
import { historyChart, frontierChart } from "./chart.js";
import { Follower, seatKey, signAction } from "./verify.js";

const kindLabels = {
  offer: "Send offer", accept: "Accept", reject: "Reject", end: "Walk away (end the talks)",
  better: "Better", worse: "Worse", same: "About the same",
};
const mediatorLabels = {
  offer: "Send my text", accept: "Pass it on", reject: "Hold it back", end: "End the talks",
};
const mediatorText = {
  propose: "Propose a text to the parties: compose it below. Or end the talks: the last text every party accepted stands.",
  relay: "A party's offer has reached you: pass it on, hold it back, or replace it with a text of your own.",
  respond: "An offer is on the table: accept it, reject it, or make a counter-proposal.",
  improve: "Propose an improvement on the agreement, or end.",
};
const requestText = {
  propose: "Make an offer.",
  respond: "An offer is on the table: accept it, reject it, or make a counter-offer.",
  vote: "Vote on the text on the table: accept or reject it.",
  compare: "Is the new text better, worse or about the same for you than the previous one?",
  relay: "Relay the offer: pass it on, hold it back, or replace it with a text of your own.",
  improve: "Propose an improvement, or end.",
};

export async function room(main, token) {
  const base = seatPath(token);
  const st = {
    token, snap: null, profile: null, events: [], seqs: new Set(), turn: null, end: null,
    lastSeq: 0, es: null, conn: "connecting", scores: new Map(), draft: {}, timer: null, turnAt: 0,
  };
  replace(main, h("p", {}, "Opening the room…"));
  try {
    st.snap = await get(base + "?tree=0"); // with the log's proofs: verified below, before it is shown
  } catch (e) {
    replace(main, h("h1", {}, "This link opens no room"), h("p", { class: "error", role: "alert" }, e.message));
    return () => {};
  }
  const me = st.snap.seat;
  const isParty = me.index >= 0;
  // the session log, checked as messages arrive (verify.js); a party signs
  // its moves with its own key, kept in this browser
  const log = new Follower();
  const signKey = isParty ? await seatKey(`${st.snap.session}/${me.role}`) : null;
  if (isParty) st.profile = await get(base + "/profile");
  // a mediator with confidential access (post-settlement, arbitration) is
  // given every party's profile, and may read the analysis
  const confidential = !isParty && st.snap.scenario.parties && Object.keys(st.snap.scenario.parties).length > 0;
  if (confidential) st.analysis = await get(base + "/analysis").catch(() => null);
  const scen = st.snap.scenario;
  const issues = (scen.issues || []).map((is) => ({
    name: is.id, title: is.name || is.id,
    options: (is.options || []).map((o) => (typeof o === "object" ? { name: o.id, label: o.label || "" } : { name: String(o), label: "" })),
  }));
  if (isParty) {
    // the profile route is authoritative for options (numeric issues included)
    issues.length = 0;
    for (const pi of st.profile.issues) issues.push({ name: pi.name, title: pi.title || pi.name, options: pi.options });
  }
  const optOf = (issue, value) => {
    const is = isParty ? st.profile.issues.find((x) => x.name === issue) : null;
    return is ? is.options.find((o) => o.name === value) : null;
  };

  // score returns the seat's own utility of a complete package (a
  // party's only), from the profile's table when it is linear, else from
  // the evaluate route.
  async function score(outcome) {
    if (!isParty || !outcome) return null;
    const key = JSON.stringify(outcome);
    if (st.scores.has(key)) return st.scores.get(key);
    let ev;
    if (st.profile.linear) {
      let u = 0;
      const red = [];
      for (const pi of st.profile.issues) {
        const o = pi.options.find((x) => x.name === outcome[pi.name]);
        if (!o) { u = NaN; continue; }
        u += o.contribution;
        if (o.red_line) red.push({ issue: pi.name, value: o.name });
      }
      if (st.profile.cap_at_one && u > 1) u = 1;
      ev = { utility: u, red_lines: red, reservation: st.profile.reservation };
    } else {
      ev = await post(base + "/evaluate", { outcome });
    }
    st.scores.set(key, ev);
    return ev;
  }

  // --- layout ---
  const title = isParty ? `${st.profile.name || me.role} — your room` : "Mediator's room";
  const statusEl = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const clockEl = h("p", { class: "clock", "aria-live": "off" });
  const requestEl = h("section", { class: "card request", "aria-labelledby": "req-h" });
  const historyEl = h("section", { class: "card" }, h("h2", { id: "hist-h" }, "The talks so far"));
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": "Chart: your utility of each offer over the steps of the talks" });
  const transcriptEl = h("div", { class: "scroll" });
  const frontierEl = h("div", { class: "chart", role: "img", "aria-label": "Chart: the texts and offers of the talks in the parties' utility space, with the Pareto frontier, Nash and Kalai–Smorodinsky" });
  const whereEl = h("p", { "aria-live": "polite" });
  if (isParty) historyEl.append(chartEl);
  if (st.analysis) historyEl.append(h("h3", {}, "Where the texts lie (confidential: you see every party's profile)"), whereEl, frontierEl);
  historyEl.append(transcriptEl);
  const actionMsg = h("p", { class: "msg", role: "alert", "aria-live": "assertive" });
  const alarmEl = h("div", { class: "alarm", role: "alert", hidden: "" });

  // compose
  const compose = h("section", { class: "card", "aria-labelledby": "comp-h" });
  const selects = {};
  const utilEl = h("output", { class: "big", "aria-live": "polite" });
  const breachEl = h("ul", { class: "breaches", "aria-live": "polite" });
  const sendBtn = h("button", { type: "submit", class: "primary", "data-action": "offer" }, isParty ? "Send offer" : "Send my text");
  const composeForm = h("form", { class: "compose", onsubmit: (e) => { e.preventDefault(); act("offer", draftOutcome()); } });
  for (const is of issues) {
    const sel = h("select", { id: uid("iss"), name: is.name, onchange: () => updateDraft() },
      h("option", { value: "" }, "— choose —"),
      is.options.map((o) => {
        const p = optOf(is.name, o.name);
        let text = o.label ? `${o.label}` : o.name;
        if (p) text += ` — worth ${fmt(p.value)} to you (+${fmt(p.contribution)})${p.red_line ? " ✕ red line" : ""}`;
        return h("option", { value: o.name }, text);
      }));
    selects[is.name] = sel;
    composeForm.append(field(is.title, sel));
  }
  const fillBtn = h("button", { type: "button", onclick: () => { const o = st.turn && st.turn.request.offer; if (o) setDraft(o); } }, "Start from the offer on the table");
  composeForm.append(
    h("div", { class: "live" }, isParty ? [h("span", {}, "Utility to you: "), utilEl, h("span", { class: "muted" }, ` (walk-away ${fmt(st.profile.reservation)})`)] : null, breachEl),
    h("div", { class: "buttons" }, sendBtn, fillBtn));
  compose.append(h("h2", { id: "comp-h" }, isParty ? "Compose an offer" : "Compose a text"), composeForm);

  function draftOutcome() {
    const o = {};
    for (const [k, s] of Object.entries(selects)) if (s.value) o[k] = s.value;
    return o;
  }
  function setDraft(o) {
    for (const [k, s] of Object.entries(selects)) s.value = o[k] || "";
    updateDraft();
  }
  let evalSeq = 0;
  async function updateDraft() {
    const o = draftOutcome();
    const missing = issues.filter((is) => !o[is.name]).map((is) => is.title);
    breachEl.replaceChildren();
    for (const [k, s] of Object.entries(selects)) {
      const p = optOf(k, s.value);
      s.classList.toggle("breach", !!(p && p.red_line));
    }
    if (!isParty) {
      if (missing.length) breachEl.append(h("li", { class: "muted" }, stillToChoose(missing)));
      return;
    }
    // partial utility from the table at once; the exact check (rules too) from the server
    let partial = 0;
    for (const [k, v] of Object.entries(o)) { const p = optOf(k, v); if (p) partial += p.contribution; }
    utilEl.textContent = st.profile.linear ? (missing.length ? `${fmt(partial)} so far` : fmt(Math.min(partial, st.profile.cap_at_one ? 1 : Infinity))) : "…";
    for (const [k, v] of Object.entries(o)) {
      const p = optOf(k, v);
      if (p && p.red_line) breachEl.append(h("li", { class: "bad" }, `Red line: ${titleOf(k)} = ${p.label || p.name}`));
    }
    if (missing.length) { breachEl.append(h("li", { class: "muted" }, stillToChoose(missing))); return; }
    const mine = ++evalSeq;
    try {
      const ev = await post(base + "/evaluate", { outcome: o });
      if (mine !== evalSeq) return;
      utilEl.textContent = fmt(ev.utility);
      for (const r of ev.rules || []) breachEl.append(h("li", { class: "bad" }, `Breaks a rule: ${r}`));
      if (ev.utility < ev.reservation - 1e-9 && !(ev.red_lines || []).length) breachEl.append(h("li", { class: "warn" }, `Below your walk-away value ${fmt(ev.reservation)}`));
      if (ev.acceptable) breachEl.append(h("li", { class: "good" }, "Acceptable to you"));
    } catch (e) {
      if (mine === evalSeq) breachEl.append(h("li", { class: "bad" }, e.message));
    }
  }
  const stillToChoose = (missing) => (missing.length > 3 ? `${missing.length} issues still to choose` : `Still to choose: ${missing.join(", ")}`);
  const titleOf = (name) => (issues.find((i) => i.name === name) || { title: name }).title;

  // package browser
  const pk = isParty ? packageBrowser() : null;
  function packageBrowser() {
    const lo = h("input", { type: "number", id: uid("min"), name: "min", min: "0", max: "1", step: "0.01", value: String(Math.max(st.profile.reservation, 0).toFixed(2)) });
    const hi = h("input", { type: "number", id: uid("max"), name: "max", min: "0", max: "1", step: "0.01", value: "1" });
    const lim = h("input", { type: "number", id: uid("lim"), name: "limit", min: "1", max: "200", step: "1", value: "10" });
    const out = h("div", { class: "scroll", "aria-live": "polite" });
    const form = h("form", { class: "row", onsubmit: async (e) => {
      e.preventDefault();
      replace(out, h("p", { class: "muted" }, "Searching…"));
      try {
        const q = new URLSearchParams({ min: lo.value, max: hi.value, limit: lim.value });
        const res = await get(base + "/packages?" + q);
        if (!res.packages.length) { replace(out, h("p", {}, "No package gives you a utility in that range without crossing a red line or a rule.")); return; }
        replace(out, h("table", { class: "packages" },
          h("caption", {}, `Packages worth ${fmt(res.min)}–${fmt(res.max)} to you, lowest first${res.more ? " (more in the range: narrow it)" : ""}`),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Utility"), h("th", { scope: "col" }, `Package (${issues.map((is) => is.name).join(" · ")})`), h("th", { scope: "col" }, h("span", { class: "sr" }, "Use")))),
          h("tbody", {}, res.packages.map((p, i) => h("tr", {},
            h("td", { class: "num" }, fmt(p.utility)),
            h("td", {}, summary(p.outcome)),
            h("td", {}, h("button", { type: "button", class: "small", "aria-label": `Use package ${i + 1} (utility ${fmt(p.utility)}) in the offer`, onclick: () => { setDraft(p.outcome); selects[issues[0].name].focus(); } }, "Use")))))));
      } catch (err) {
        replace(out, h("p", { class: "error", role: "alert" }, err.message));
      }
    } }, field("Lowest utility", lo), field("Highest utility", hi), field("How many", lim), h("button", { type: "submit", "data-action": "find" }, "Find packages"));
    return h("section", { class: "card", "aria-labelledby": "pk-h" }, h("h2", { id: "pk-h" }, "Browse packages by what they give you"), form, out);
  }
  const labelOf = (issue, value) => {
    const is = issues.find((x) => x.name === issue);
    const o = is && is.options.find((x) => x.name === value);
    return o && o.label ? o.label : value;
  };

  // profile
  const profileEl = isParty ? h("section", { class: "card", "aria-labelledby": "prof-h" },
    h("h2", { id: "prof-h" }, "Your preferences (only you see them)"),
    h("p", {}, `Walk-away value (reservation): ${fmt(st.profile.reservation)}. `, st.profile.discount ? `Discount factor: ${st.profile.discount}. ` : "", st.profile.linear ? "" : "Your utility is not a sum over issues: the values below are indicative; offers are scored exactly by the server."),
    h("div", { class: "hscroll" }, h("table", { class: "profile" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Issue (weight)"), h("th", { scope: "col" }, "Option"), h("th", { scope: "col" }, "Value to you"), h("th", { scope: "col" }, "Adds"))),
      st.profile.issues.map((pi) => h("tbody", {}, pi.options.map((o, k) => h("tr", { class: o.red_line ? "redline" : "" },
        k === 0 ? h("th", { scope: "rowgroup", rowspan: String(pi.options.length) }, `${pi.title || pi.name} (${fmt(pi.weight)})`) : null,
        h("td", {}, o.label || o.name, o.red_line ? h("strong", { class: "tag" }, " red line") : null),
        h("td", { class: "num" }, h("meter", { min: "0", max: "1", value: String(Math.max(0, Math.min(1, o.value))), "aria-label": `${o.label || o.name}: ${fmt(o.value)}` }), " ", fmt(o.value)),
        h("td", { class: "num" }, fmt(o.contribution))))))))) : null;

  // messages: in indirect talks a party writes to the mediator only, and
  // the mediator decides what to pass on (the server enforces it)
  const roles = [...st.snap.parties, ...(st.snap.mediator ? ["mediator"] : [])];
  const recipients = st.snap.indirect
    ? (isParty ? (st.snap.mediator ? ["mediator"] : []) : st.snap.parties)
    : roles.filter((r) => r !== me.role);
  const msgList = h("ol", { class: "messages", "aria-live": "polite" });
  const msgTo = h("select", { id: uid("to"), name: "to" }, recipients.map((r) => h("option", { value: r }, r)));
  const msgText = h("textarea", { id: uid("msg"), name: "text", rows: "3", maxlength: "1000" });
  const msgErr = h("p", { class: "msg", role: "alert" });
  const msgForm = h("form", { class: "message-form", onsubmit: async (e) => {
    e.preventDefault();
    msgErr.textContent = "";
    msgErr.className = "msg";
    try {
      await post(base + "/messages", { to: [msgTo.value], text: msgText.value });
      msgText.value = "";
    } catch (err) {
      msgErr.className = "msg error";
      msgErr.textContent = err.message;
    }
  } }, field("To", msgTo), field("Message", msgText, st.snap.indirect && isParty ? "Only the mediator reads it; the mediator decides what to pass on." : null),
    h("div", { class: "buttons" }, h("button", { type: "submit", "data-action": "message" }, "Send message")), msgErr);
  const messagesEl = recipients.length ? h("section", { class: "card", "aria-labelledby": "msg-h" }, h("h2", { id: "msg-h" }, "Messages"), msgList, msgForm) : null;
  function renderMessages() {
    if (!messagesEl) return;
    const ms = st.events.filter((e) => e.kind === "message");
    replace(msgList, ms.length ? ms.map((e) => {
      const to = (e.to || []).filter((r) => r !== e.party);
      const relay = !isParty && e.party !== me.role
        ? st.snap.parties.filter((p) => p !== e.party).map((p) => h("button", { type: "button", class: "small", "data-action": "pass-on",
            onclick: () => { msgTo.value = p; msgText.value = e.note; msgText.focus(); } }, `Pass on to ${p}`))
        : null;
      return h("li", {}, h("span", { class: "muted" }, `${e.party === me.role ? "you" : e.party} → ${to.map((r) => (r === me.role ? "you" : r)).join(", ")}: `), e.note, relay ? h("span", { class: "buttons inline" }, relay) : null);
    }) : h("li", { class: "muted" }, "No messages yet."));
  }

  replace(main,
    h("h1", {}, title),
    h("div", { class: "bar" }, statusEl, clockEl),
    alarmEl,
    actionMsg,
    h("div", { class: "grid" },
      h("div", { class: "col" }, requestEl, compose, pk),
      h("div", { class: "col" }, historyEl, messagesEl, profileEl)));

  // --- rendering ---
  function offerTable(o, caption, ev) {
    return h("table", { class: "offer" }, h("caption", {}, caption),
      h("tbody", {}, issues.map((is) => {
        const p = optOf(is.name, o[is.name]);
        return h("tr", { class: p && p.red_line ? "redline" : "" }, h("th", { scope: "row" }, is.title),
          h("td", {}, labelOf(is.name, o[is.name]), p && p.red_line ? h("strong", { class: "tag" }, " red line") : null),
          isParty ? h("td", { class: "num" }, p ? fmt(p.value) : "") : null);
      })),
      ev ? h("tfoot", {},
        (ev.red_lines || []).length ? h("tr", {}, h("th", { scope: "row" }, "Red lines"), h("td", { colspan: "2", class: "bad" },
          `It crosses ${ev.red_lines.length} of your red lines: ${ev.red_lines.map((r) => titleOf(r.issue)).join(", ")}`)) : null,
        h("tr", {}, h("th", { scope: "row" }, "Utility to you"), h("td", { colspan: "2", class: acceptable(ev) ? "good" : "bad" },
          `${fmt(ev.utility)} — walking away gives you ${fmt(ev.reservation)}`))) : null);
  }

  const acceptable = (ev) => ev && !(ev.red_lines || []).length && !(ev.rules || []).length && ev.utility >= ev.reservation - 1e-9;

  async function renderRequest() {
    const t = st.turn;
    const kids = [h("h2", { id: "req-h" }, st.end ? "The talks have ended" : t ? "Your move" : "Waiting")];
    if (st.end) {
      const e = st.end;
      kids.push(h("p", { class: e.status === "agreement" ? "good big" : "big" }, e.status === "agreement" ? "Agreement." : `No agreement (${e.status}).`), h("p", {}, e.reason || ""));
      if (e.agreement) {
        const ev = await score(e.agreement);
        kids.push(offerTable(e.agreement, "The agreement", ev));
      }
      if (e.utility !== undefined && e.utility !== null) kids.push(h("p", {}, `Your utility: ${fmt(e.utility)}`));
      if (e.fault) kids.push(h("p", { class: "bad" }, `Attributed to ${e.fault.party}: ${e.fault.reason}`));
    } else if (!t) {
      const others = st.snap.parties.filter((p) => p !== me.role);
      kids.push(h("p", {}, `Waiting for ${st.snap.mediator && me.role !== "mediator" ? "the mediator or " : ""}${others.join(", ")}…`));
    } else {
      const r = t.request;
      kids.push(h("p", {}, (!isParty && mediatorText[r.kind]) || requestText[r.kind] || r.kind));
      if (r.offer) kids.push(offerTable(r.offer, !isParty && r.kind === "propose" ? "Your last text" : r.from ? `On the table, from ${r.from}` : "On the table", await score(r.offer)));
      if (r.other) kids.push(offerTable(r.other, r.kind === "compare" ? "The previous text" : "The current text (accepted by all so far)", await score(r.other)));
      for (const [i, p] of (r.proposals || []).entries()) {
        const who = st.snap.parties[i] || `party ${i + 1}`;
        if (p) kids.push(offerTable(p, who === me.role ? "Your visible proposal" : `${who}'s visible proposal`, await score(p)));
      }
      if (r.answers && r.answers.length) kids.push(h("p", { class: "answers" }, `The parties' answers to your last text: ${r.answers.map((a, i) => `${st.snap.parties[i] || "party " + (i + 1)}: ${a}`).join(", ")}`));
      const btns = h("div", { class: "buttons" });
      if (confidential) {
        const hint = h("span", { class: "muted", "aria-live": "polite" });
        btns.append(h("button", { type: "button", "data-action": "suggest", onclick: async () => {
          try {
            const sg = await get(base + "/suggestion");
            if (sg.kind === "offer" && sg.outcome) { setDraft(sg.outcome); hint.textContent = `The built-in mediator (${sg.by}) suggests the text now in the compose form.`; }
            else hint.textContent = `The built-in mediator (${sg.by}) would end the talks here.`;
          } catch (e) { hint.textContent = e.message; }
        } }, "Suggest a text"), hint);
      }
      for (const k of r.allowed || []) {
        if (k === "offer") continue; // the compose form sends offers
        const label = (isParty ? kindLabels : mediatorLabels)[k] || k;
        const b = h("button", { type: "button", "data-action": k, class: k === "accept" ? "primary" : k === "end" ? "danger" : "", onclick: () => {
          // walking away cannot be undone: a party confirms it with a second press
          if (k === "end" && isParty && !b.dataset.armed) {
            b.dataset.armed = "1";
            b.textContent = "Press again to walk away for good";
            setTimeout(() => { delete b.dataset.armed; b.textContent = label; }, 6000);
            return;
          }
          act(k);
        } }, label);
        btns.append(b);
      }
      kids.push(btns);
    }
    replace(requestEl, ...kids);
    requestEl.dataset.state = st.end ? "end" : t ? "turn" : "wait";
    requestEl.dataset.step = t ? String(t.step) : "";
    const canOffer = !!(t && (t.request.allowed || []).includes("offer"));
    sendBtn.disabled = !canOffer;
    sendBtn.title = canOffer ? "" : "You can send an offer when it is your move and the protocol asks for one";
  }

  async function renderHistory() {
    const rows = [];
    const mine = [], theirs = [];
    for (const e of st.events) {
      const ev = e.outcome ? await score(e.outcome) : null;
      if (ev && isParty) (e.party === me.role ? mine : theirs).push([e.step, ev.utility]);
      rows.push(h("tr", {}, h("td", { class: "num" }, String(e.round)), h("td", {}, e.party || "—"), h("td", {}, e.kind),
        h("td", {}, e.outcome ? summary(e.outcome) : e.note || ""), isParty ? h("td", { class: "num" }, ev ? fmt(ev.utility) : "") : null));
    }
    replace(transcriptEl, h("table", { class: "transcript" },
      h("caption", {}, rows.length ? `${rows.length} events shown to you` : "Nothing has happened yet."),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Round"), h("th", { scope: "col" }, "Who"), h("th", { scope: "col" }, "What"), h("th", { scope: "col" }, "Package or words"), isParty ? h("th", { scope: "col" }, "Utility to you") : null)),
      h("tbody", {}, rows.reverse())));
    if (st.analysis && st.analysis.parties.length >= 2) {
      const an = st.analysis;
      const util = (p, o) => p.issues.reduce((u, is) => u + ((is.options.find((x) => x.name === o[is.name]) || {}).contribution || 0), 0);
      const path = st.events.filter((e) => e.outcome).map((e) => [util(an.profiles[0], e.outcome), util(an.profiles[1], e.outcome)]);
      const cur = st.turn && (st.turn.request.offer || st.turn.request.other);
      whereEl.textContent = cur ? `The text on the table gives ${an.parties.map((p, i) => `${p} ${fmt(util(an.profiles[i], cur))}`).join(", ")}; Nash gives ${an.nash ? an.nash.utility.map(fmt).join(", ") : "–"}.` : "";
      if (path.length !== st.plotted) { st.plotted = path.length; frontierChart(frontierEl, { ...an, path }); }
    }
    if (isParty) {
      const theirLabel = st.snap.mediator ? "texts and offers you received" : "their offers";
      historyChart(chartEl, { mine, theirs, reservation: st.profile.reservation, theirLabel });
    }
  }
  const summary = (o) => h("span", { class: "pkg", title: issues.map((is) => `${is.title}: ${labelOf(is.name, o[is.name])}`).join("\n") },
    issues.map((is) => o[is.name]).join(" · "));

  function renderStatus() {
    const dl = st.snap.deadline || {};
    const round = st.turn ? st.turn.round : st.events.length ? st.events[st.events.length - 1].round : 0;
    const conn = { live: "live", connecting: "connecting…", reconnecting: "connection lost — reconnecting…", closed: "closed" }[st.conn];
    statusEl.textContent = `${me.role} · ${st.snap.protocol}${st.snap.indirect ? " (indirect)" : ""} · round ${round + 1}${dl.rounds ? ` of ${dl.rounds}` : ""} · ${st.end ? st.end.status : "running"} · ${conn}`;
    statusEl.dataset.conn = st.conn;
  }
  function renderClock() {
    const t = st.turn;
    if (!t || st.end) { clockEl.textContent = ""; return; }
    const gone = Date.now() - st.turnAt;
    const parts = [];
    if (t.move_time_left_ms != null) parts.push(`${secs(t.move_time_left_ms - gone)} left for this move`);
    if (t.time_left_ms != null) parts.push(`${secs(t.time_left_ms - gone)} left in the talks`);
    clockEl.textContent = parts.join(" · ");
  }
  const secs = (ms) => { const s = Math.max(0, Math.round(ms / 1000)); return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`; };

  let pending = Promise.resolve();
  function render() {
    renderStatus();
    renderClock();
    renderMessages();
    pending = pending.then(() => Promise.all([renderRequest(), renderHistory()])).catch((e) => { actionMsg.textContent = e.message; });
    return pending;
  }

  // --- acting ---
  async function act(kind, outcome) {
    const t = st.turn;
    if (!t || st.alarm) return;
    actionMsg.textContent = "";
    actionMsg.className = "msg";
    try {
      const a = { step: t.step, kind, outcome: kind === "offer" ? outcome : undefined };
      if (signKey) await signAction(signKey, st.snap.session, me.role, a);
      const ack = await post(base + "/actions", a);
      await log.receipt(ack, me.role, a).catch(raiseAlarm);
      if (st.turn === t) st.turn = null;
      actionMsg.textContent = `Sent: ${kind}.`;
      actionMsg.className = "msg ok";
      render();
    } catch (e) {
      actionMsg.className = "msg error";
      actionMsg.textContent = e instanceof APIError && e.status === 409 ? `${e.message} — the room has been brought up to date.` : e.message;
      if (e instanceof APIError && e.status === 409) await resync();
    }
  }

  // resync reads the stream afresh: its snapshot, proven from the log this
  // room verified, brings the room up to date
  function resync() {
    if (!st.es || st.alarm) return;
    st.es.close();
    connect();
  }

  // verified applies a message once the log backs it, in the order they
  // came; on a failed check the room raises the alarm and stops
  st.q = Promise.resolve();
  function verified(m, apply) {
    st.q = st.q.then(async () => {
      if (st.alarm) return;
      try { await log.check(m); } catch (e) { raiseAlarm(e); return; }
      main.dataset.tree = String(log.size); // the size of the log verified
      try { apply(m); } catch (e) { actionMsg.textContent = e.message; } // the queue goes on
    });
  }
  function raiseAlarm(e) {
    if (st.alarm) return;
    st.alarm = e;
    stop();
    st.turn = null;
    st.conn = "closed";
    alarmEl.hidden = false;
    replace(alarmEl, h("h2", {}, "Stopped: the session log does not check out"),
      h("p", {}, e.message),
      h("p", {}, "The server showed this room something its own signed log does not back (the log was forked or rewritten). Nothing more is shown or sent from this room. Keep this page: the last checkpoint it verified is below."),
      h("pre", {}, log.checkpoint || "(none yet)"));
    for (const el of main.querySelectorAll("form button, form select, form input, form textarea, section.request button")) el.disabled = true;
    render();
  }

  // --- live updates ---
  function addEvent(e) {
    if (st.seqs.has(e.seq)) return false;
    st.seqs.add(e.seq);
    st.events.push(e);
    st.lastSeq = Math.max(st.lastSeq, e.seq);
    if (st.turn && e.kind !== "message" && (e.step > st.turn.step || (e.step === st.turn.step && e.party === me.role))) st.turn = null;
    return true;
  }
  function onSnapshot(sn) {
    for (const e of sn.events || []) addEvent(e);
    st.lastSeq = Math.max(st.lastSeq, sn.seq);
    setTurn(sn.turn);
    if (sn.end) { st.end = sn.end; stop(); }
    render();
  }
  function setTurn(t) {
    const fresh = t && (!st.turn || st.turn.step !== t.step);
    st.turn = t || null;
    st.turnAt = Date.now();
    if (fresh && t.request.offer && Object.keys(draftOutcome()).length === 0) setDraft(t.request.offer);
    if (fresh) { actionMsg.textContent = ""; actionMsg.className = "msg"; }
  }
  function connect() {
    // opened once what came before is verified: ?tree= names the log it extends
    const es = { closed: false, close() { this.closed = true; if (this.es) this.es.close(); } };
    st.es = es;
    st.q.then(() => { if (!es.closed) open(es); });
  }
  function open(box) {
    const url = base + "/stream?since=" + st.lastSeq + "&tree=" + log.size;
    const es = new EventSource(url);
    box.es = es;
    es.addEventListener("open", () => { st.conn = "live"; renderStatus(); });
    es.addEventListener("snapshot", (m) => { st.conn = "live"; verified(JSON.parse(m.data), onSnapshot); });
    es.addEventListener("event", (m) => verified(JSON.parse(m.data), (e) => { if (addEvent(e)) render(); }));
    es.addEventListener("turn", (m) => verified(JSON.parse(m.data), (t) => { st.lastSeq = Math.max(st.lastSeq, t.seq); setTurn(t); render(); }));
    es.addEventListener("end", (m) => verified(JSON.parse(m.data), (e) => { st.end = e; st.turn = null; stop(); render(); }));
    es.addEventListener("error", () => {
      if (st.end || st.alarm) return;
      st.conn = "reconnecting";
      renderStatus();
      // start afresh from the last event and the last verified checkpoint
      // (the browser's own retry would ask for an older tree)
      es.close();
      setTimeout(() => { if (st.es === box && !st.end && !st.alarm) connect(); }, 1000);
    });
  }
  function stop() {
    if (st.es) { st.es.close(); st.es = null; }
    st.conn = st.end ? "closed" : st.conn;
  }

  verified(st.snap, onSnapshot);
  st.q.then(() => { if (!st.end && !st.alarm) connect(); });
  st.timer = setInterval(renderClock, 1000);
  updateDraft();
  return () => { stop(); clearInterval(st.timer); };
}
