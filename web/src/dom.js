// Small DOM helpers: every element is built with h(), never from HTML
// strings, so text from the server is always text.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "value") el.value = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// replace puts children in el instead of what it held.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
// uid returns a fresh element id with the given prefix.
export function uid(prefix) {
  ids++;
  return `${prefix}-${ids}`;
}

// fmt formats a utility for display.
export function fmt(u) {
  if (u === undefined || u === null || Number.isNaN(u)) return "–";
  return u.toFixed(3);
}

// field wraps a control with its label.
export function field(label, control, hint) {
  const id = control.id || (control.id = uid("f"));
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", { class: "hint" }, hint) : null);
}

// copyable shows a value with a button that copies it.
export function copyable(label, value) {
  const input = h("input", { type: "text", readonly: true, value, class: "mono", "aria-label": label });
  const btn = h("button", { type: "button", class: "small", onclick: async () => {
    input.select();
    try { await navigator.clipboard.writeText(value); btn.textContent = "Copied"; }
    catch { document.execCommand && document.execCommand("copy"); btn.textContent = "Selected"; }
    setTimeout(() => { btn.textContent = "Copy"; }, 1500);
  } }, "Copy");
  btn.setAttribute("aria-label", "Copy " + label);
  return h("div", { class: "copy" }, input, btn);
}
