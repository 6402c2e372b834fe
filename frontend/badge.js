// Unread count in the page title and the favicon, so a background tab shows new mail.

const BASE_ICON =
  '<rect x="2" y="6" width="28" height="20" rx="3" fill="#2563eb"/>' +
  '<path d="M4 9l12 9 12-9" fill="none" stroke="#fff" stroke-width="2.4" stroke-linejoin="round"/>';

let shown = null;

export function showUnread(unread, label) {
  const key = `${unread}|${label}`;
  if (key === shown) return;
  shown = key;
  const name = label ? `mailsink · ${label}` : "mailsink";
  document.title = unread > 0 ? `(${unread.toLocaleString()}) ${name}` : name;
  document.getElementById("favicon").href = faviconUrl(unread);
}

function faviconUrl(unread) {
  let badge = "";
  if (unread > 0) {
    const text = unread > 99 ? "99+" : String(unread);
    const size = text.length > 2 ? 11 : 14;
    badge =
      '<circle cx="23" cy="9" r="9" fill="#dc2626"/>' +
      `<text x="23" y="9" dy="0.35em" text-anchor="middle" font-family="sans-serif" font-weight="700" font-size="${size}" fill="#fff">${text}</text>`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">${BASE_ICON}${badge}</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
