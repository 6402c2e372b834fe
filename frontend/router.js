// Client-side routes live in the URL's hash, so the server needs no rewrite rules and a search
// or a message can be bookmarked: #/ (inbox), #/search?q=…, #/message/ID, #/message/ID?q=….

export function parseRoute(hash = location.hash) {
  const text = hash.replace(/^#\/?/, "");
  const [path, queryString = ""] = text.split("?", 2);
  const query = new URLSearchParams(queryString).get("q")?.trim() || "";
  const match = /^message\/([^/]+)$/.exec(path);
  return { messageId: match ? decodeURIComponent(match[1]) : null, query };
}

export function routeHash({ messageId = null, query = "" }) {
  const params = query ? `?${new URLSearchParams({ q: query })}` : "";
  if (messageId) return `#/message/${encodeURIComponent(messageId)}${params}`;
  return query ? `#/search${params}` : "#/";
}

export function navigate(route, { replace = false } = {}) {
  const hash = routeHash(route);
  if (hash === location.hash || (hash === "#/" && location.hash === "")) return false;
  if (replace) history.replaceState(null, "", hash);
  else location.hash = hash;
  return true;
}
