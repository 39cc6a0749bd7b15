// The workbench's entry point: a router over the location's fragment, so
// that capability tokens stay in the fragment (never sent in a request
// line or a Referer header).
import { h, replace, field, uid } from "./dom.js";
import { APIError, operatorToken, setOperatorToken } from "./api.js";
import { room } from "./room.js";
import { scenarioList, scenarioPage } from "./scenarios.js";
import { newSession } from "./newsession.js";
import { ownerPage } from "./owner.js";

let cleanup = null;

async function route() {
  const main = document.getElementById("main");
  if (cleanup) { cleanup(); cleanup = null; }
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    let c;
    if (parts.length === 0) c = await scenarioList(main);
    else if (parts[0] === "scenario" && parts[1]) c = await scenarioPage(main, parts[1], params.get("variant") || "");
    else if (parts[0] === "new") c = await newSession(main, params);
    else if (parts[0] === "seat" && parts[1]) c = await room(main, parts[1]);
    else if (parts[0] === "owner" && parts[1]) c = await ownerPage(main, parts[1]);
    else replace(main, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Back to the scenarios")));
    cleanup = typeof c === "function" ? c : null;
  } catch (e) {
    if (e instanceof APIError && (e.status === 401 || e.code === "operator_only")) replace(main, operatorForm(e));
    else replace(main, h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, e.message));
  }
  document.body.dataset.page = parts[0] || "scenarios";
}

// operatorForm asks for the operator token that the catalogue's routes
// need on a server reached from another machine.
function operatorForm(e) {
  const input = h("input", { type: "password", id: uid("op"), name: "operator-token", autocomplete: "off", value: operatorToken() });
  return h("form", { class: "card", onsubmit: (ev) => { ev.preventDefault(); setOperatorToken(input.value.trim()); route(); } },
    h("h1", {}, "Operator token needed"),
    h("p", { class: "error", role: "alert" }, e.message),
    h("p", {}, "The scenario pages and new sessions are for the server's operator. Enter the token 'backchannel serve' printed (--operator-token); it is kept in this tab only. People taking part need no token: their room link is enough."),
    field("Operator token", input), h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Continue")));
}

window.addEventListener("hashchange", route);
route();
