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

async function call(method, path, body, headers) {
  const init = { method, headers: { Accept: "application/json", ...(headers || {}) } };
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
