// The public HTTP API, addressed relative to the page so the UI works under any --webroot
// (the page at /mail/ talks to /mail/api/v1/…).

export class ApiError extends Error {
  constructor(status, text) {
    super(text || `HTTP ${status}`);
    this.status = status;
  }
}

/** Absolute URL of a path relative to the webroot, with optional query parameters. */
export function url(path, params = {}) {
  const result = new URL(path, document.baseURI);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) result.searchParams.set(key, String(value));
  }
  return result.href;
}

/** The WebSocket URL of the change events. */
export function eventsUrl() {
  const result = new URL("api/events", document.baseURI);
  result.protocol = result.protocol === "https:" ? "wss:" : "ws:";
  return result.href;
}

export const messagePath = (id, rest = "") =>
  `api/v1/message/${encodeURIComponent(id)}${rest}`;

async function request(method, path, { params, body, as = "json", signal } = {}) {
  const init = { method, signal, headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url(path, params), init);
  if (!response.ok) throw new ApiError(response.status, (await response.text()).trim());
  if (as === "json") return response.json();
  return response.text();
}

// `mailbox`: the mailbox shown ("" or undefined: every mailbox); sent as `?mailbox=` when set.
const inMailbox = (mailbox, params = {}) => (mailbox ? { ...params, mailbox } : params);

export const api = {
  /** One page of the inbox, or of a search when `query` is non-empty. */
  list(query, start, limit, signal, mailbox) {
    return query
      ? request("GET", "api/v1/search", { params: inMailbox(mailbox, { query, start, limit }), signal })
      : request("GET", "api/v1/messages", { params: inMailbox(mailbox, { start, limit }), signal });
  },
  mailboxes: () => request("GET", "api/v1/mailboxes"),
  message: (id) => request("GET", messagePath(id)),
  headers: (id) => request("GET", messagePath(id, "/headers")),
  mime: (id) => request("GET", messagePath(id, "/mime")),
  raw: (id) => request("GET", messagePath(id, "/raw"), { as: "text" }),
  webui: () => request("GET", "api/v1/webui"),
  htmlCheck: (id) => request("GET", messagePath(id, "/html-check")),
  linkCheck: (id, follow) => request("GET", messagePath(id, "/link-check"), { params: { follow } }),
  spamCheck: (id) => request("GET", messagePath(id, "/sa-check")),
  authCheck: (id) => request("GET", messagePath(id, "/auth-check")),
  deliverability: (id) => request("GET", messagePath(id, "/deliverability-check")),
  setRead: (ids, read) =>
    request("PUT", "api/v1/messages", { body: { IDs: ids, Read: read }, as: "text" }),
  setReadAll: (read, mailbox) =>
    request("PUT", "api/v1/messages", { params: inMailbox(mailbox), body: { Read: read }, as: "text" }),
  setReadSearch: (query, read, mailbox) =>
    request("PUT", "api/v1/messages", {
      params: inMailbox(mailbox),
      body: { Search: query, Read: read },
      as: "text",
    }),
  remove: (ids) => request("DELETE", "api/v1/messages", { body: { IDs: ids }, as: "text" }),
  removeAll: (mailbox) =>
    request("DELETE", "api/v1/messages", { params: inMailbox(mailbox), as: "text" }),
  removeSearch: (query, mailbox) =>
    request("DELETE", "api/v1/search", { params: inMailbox(mailbox, { query }), as: "text" }),
  setTags: (ids, tags) => request("PUT", "api/v1/tags", { body: { IDs: ids, Tags: tags }, as: "text" }),
  release: (id, to) => request("POST", messagePath(id, "/release"), { body: { To: to }, as: "text" }),
};
