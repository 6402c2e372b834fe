// Client-side routes live in the URL's hash, so the server needs no rewrite rules and a search,
// a mailbox or a message can be bookmarked: #/ (inbox), #/search?q=…, #/message/ID,
// #/message/ID?q=…; `mb=NAME` in any of them shows mailbox NAME only (#/?mb=team-a).

export function parseRoute(hash = location.hash) {
  const text = hash.replace(/^#\/?/, "");
  const [path, queryString = ""] = text.split("?", 2);
  const params = new URLSearchParams(queryString);
  const query = params.get("q")?.trim() || "";
  const mailbox = params.get("mb")?.trim() || "";
  const match = /^message\/([^/]+)$/.exec(path);
  return { messageId: match ? decodeURIComponent(match[1]) : null, query, mailbox };
}

export function routeHash({ messageId = null, query = "", mailbox = "" }) {
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  if (mailbox) params.set("mb", mailbox);
  const text = params.toString();
  const suffix = text ? `?${text}` : "";
  if (messageId) return `#/message/${encodeURIComponent(messageId)}${suffix}`;
  if (query) return `#/search${suffix}`;
  return mailbox ? `#/${suffix}` : "#/";
}

export function navigate(route, { replace = false } = {}) {
  const hash = routeHash(route);
  if (hash === location.hash || (hash === "#/" && location.hash === "")) return false;
  if (replace) history.replaceState(null, "", hash);
  else location.hash = hash;
  return true;
}
