// The server's API, as the workbench uses it. Errors carry the server's
// message, code and field (api.Error).

export class APIError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.field = body && body.field;
    this.step = body && body.step;
  }
}

// The operator token (serve --operator-token) is kept for the tab's life
// only, and sent with catalogue requests, never with a seat's.
const tokenKey = "backchannel-operator-token";
export const operatorToken = () => sessionStorage.getItem(tokenKey) || "";
export const setOperatorToken = (t) => (t ? sessionStorage.setItem(tokenKey, t) : sessionStorage.removeItem(tokenKey));

async function call(method, path, body, headers) {
  const init = { method, headers: { Accept: "application/json", ...(headers || {}) } };
  if (operatorToken() && !path.startsWith("/api/seats/") && !path.startsWith("/api/owner/")) init.headers.Authorization = "Bearer " + operatorToken();
  if (body !== undefined) {
    if (body instanceof FormData) init.body = body;
    else { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!r.ok) throw new APIError(r.status, data);
  return data;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body);

export const seatPath = (token) => `/api/seats/${encodeURIComponent(token)}`;
export const ownerPath = (token) => `/api/owner/${encodeURIComponent(token)}`;

// tokenOf returns the token at the end of a capability link.
export function tokenOf(link) {
  const m = /\/api\/(?:seats|owner)\/([^/?#]+)/.exec(link || "");
  return m ? decodeURIComponent(m[1]) : "";
}
