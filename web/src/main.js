// The workbench's entry point: a router over the location's fragment, so
// that capability tokens stay in the fragment (never sent in a request
// line or a Referer header).
import { h, replace } from "./dom.js";
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
    replace(main, h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, e.message));
  }
  document.body.dataset.page = parts[0] || "scenarios";
}

window.addEventListener("hashchange", route);
route();
