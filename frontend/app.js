// mailsink web UI: wires the inbox, the message view, the live events and the chrome together.
// Plain ES modules, no build step; every request goes to the public API relative to the page.

import { api } from "./api.js";
import { showUnread } from "./badge.js";
import { $ } from "./dom.js";
import { askRelease, confirmAction, openDialog, SmtpErrors, toast } from "./dialogs.js";
import { connectEvents } from "./events.js";
import { plural } from "./format.js";
import { Inbox } from "./inbox.js";
import { bindKeys } from "./keyboard.js";
import { MailboxSwitcher } from "./mailboxes.js";
import { MessageView } from "./message.js";
import { navigate, parseRoute, routeHash } from "./router.js";
import { renderTagBar } from "./tags.js";
import { initTheme } from "./theme.js";

const SEARCH_DELAY_MS = 250;

const settings = { label: "", relay: null, hideDeleteAll: false };
let route = parseRoute();

const inbox = new Inbox({
  grid: $("message-grid"),
  spacer: $("grid-spacer"),
  empty: $("list-empty"),
  onOpen: (id) => go({ messageId: id, query: route.query }),
  onChange: updateChrome,
  onError: (error) => toast(`Could not load messages: ${error.message}`),
});

const view = new MessageView($("message-pane"), $("message-placeholder"), {
  back: () => go({ query: route.query }),
  move: (delta) => moveSelection(delta, true),
  remove: (id) => removeOne(id),
  release: (message) => release(message),
  copyLink: (id) => copyLink(id),
  notify: toast,
  readChanged: (id, read) => inbox.live.messageUpdated({ ID: id, Read: read }),
  relayEnabled: () => Boolean(settings.relay?.Enabled),
});

const errors = new SmtpErrors();
const switcher = new MailboxSwitcher($("mailbox-bar"), (mailbox) =>
  go({ mailbox, query: route.query }),
);

// ---- routing --------------------------------------------------------------------------

/** Go to `next`; the mailbox shown stays unless `next` names another. */
function go(next, options) {
  navigate({ mailbox: route.mailbox, ...next }, options);
  apply(parseRoute());
}

/** Make the page show `next` (idempotent: called on every hash change). */
function apply(next) {
  route = next;
  const search = $("search-input");
  if (document.activeElement !== search) search.value = route.query;
  inbox.selection.openId = route.messageId;
  inbox.show(route.query, route.mailbox);
  switcher.show(route.mailbox);
  $("layout").classList.toggle("reading", Boolean(route.messageId));
  if (route.messageId) {
    if (view.currentId !== route.messageId) {
      inbox.selectId(route.messageId);
      view.show(route.messageId);
    }
  } else if (view.currentId) {
    view.close();
    $("message-grid").focus({ preventScroll: true });
  }
  inbox.render();
}

window.addEventListener("hashchange", () => apply(parseRoute()));

// ---- search ---------------------------------------------------------------------------

let searchTimer = null;
$("search-input").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  const query = event.target.value.trim();
  searchTimer = setTimeout(() => go({ query }, { replace: true }), SEARCH_DELAY_MS);
});
$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  go({ query: $("search-input").value.trim() });
});

// ---- chrome: counts, title, toolbar, tags ---------------------------------------------

function updateChrome() {
  $("list-count").textContent = inbox.rows.countText();
  showUnread(inbox.rows.mailboxUnread, settings.label); // of the mailbox shown, or of all
  const checked = inbox.selection.checked.size;
  $("selection-actions").hidden = checked === 0;
  $("all-actions").hidden = checked > 0;
  $("all-delete").hidden = settings.hideDeleteAll;
  $("all-delete").textContent = route.query ? "Delete results" : "Delete all";
  $("all-read").textContent = route.query ? "Mark results read" : "Mark all read";
  $("all-delete").disabled = inbox.rows.total === 0;
  const selectAll = $("select-all");
  selectAll.checked = checked > 0 && checked >= inbox.rows.size;
  selectAll.indeterminate = checked > 0 && checked < inbox.rows.size;
  renderTagBar($("tag-bar"), inbox.rows.tags, (tag) => go({ query: `tag:"${tag}"` }));
}

$("select-all").addEventListener("change", (event) => inbox.checkAllLoaded(event.target.checked));

// ---- actions --------------------------------------------------------------------------

async function run(action, failure) {
  try {
    return await action();
  } catch (error) {
    toast(`${failure}: ${error.message}`);
    return undefined;
  }
}

async function removeOne(id) {
  const index = inbox.rows.indexOf(id);
  const neighbour = index < 0 ? null : inbox.rows.at(index + 1) || inbox.rows.at(index - 1);
  await run(() => api.remove([id]), "Could not delete");
  if (route.messageId === id) {
    go({ messageId: neighbour?.ID ?? null, query: route.query }, { replace: true });
  }
}

async function removeChecked() {
  const ids = [...inbox.selection.checked];
  if (ids.length === 0) return;
  if (
    ids.length > 1 &&
    !(await confirmAction("Delete messages", `Delete ${plural(ids.length, "message")}?`, "Delete"))
  ) {
    return;
  }
  await run(() => api.remove(ids), "Could not delete");
  inbox.checkAllLoaded(false);
  if (ids.includes(route.messageId)) go({ query: route.query }, { replace: true });
}

async function removeAll() {
  const { query, mailbox } = route;
  const where = mailbox ? ` in mailbox “${mailbox}”` : "";
  const text = query
    ? `Delete all ${plural(inbox.rows.total, "message")}${where} matching “${query}”?`
    : `Delete all ${plural(inbox.rows.total, "message")}${where}? This cannot be undone.`;
  if (!(await confirmAction(query ? "Delete results" : "Delete all messages", text, "Delete"))) return;
  await run(
    () => (query ? api.removeSearch(query, mailbox) : api.removeAll(mailbox)),
    "Could not delete",
  );
  inbox.pages.scheduleRefresh();
  if (route.messageId) go({ query }, { replace: true });
}

async function markChecked(read) {
  const ids = [...inbox.selection.checked];
  await run(() => api.setRead(ids, read), "Could not change read state");
  inbox.checkAllLoaded(false);
}

async function markAllRead() {
  const { query, mailbox } = route;
  await run(
    () => (query ? api.setReadSearch(query, true, mailbox) : api.setReadAll(true, mailbox)),
    "Could not mark read",
  );
  inbox.pages.scheduleRefresh(); // a bulk change is announced by `stats` only
}

function release(message) {
  const relay = settings.relay;
  const recipients = (message.Envelope?.RcptTo || []).map((r) => r.Address).filter(Boolean);
  askRelease(recipients, `Relay through ${relay.SMTPServer || "the configured server"}.`, async (to) => {
    await api.release(message.ID, to);
    toast(`Released to ${to.join(", ")}`);
  });
}

async function copyLink(id) {
  const link = new URL(routeHash({ messageId: id }), location.href).href;
  try {
    await navigator.clipboard.writeText(link);
    toast("Link copied");
  } catch {
    toast(link);
  }
}

$("selected-read").addEventListener("click", () => markChecked(true));
$("selected-unread").addEventListener("click", () => markChecked(false));
$("selected-delete").addEventListener("click", removeChecked);
$("all-read").addEventListener("click", markAllRead);
$("all-delete").addEventListener("click", removeAll);
$("shortcuts-button").addEventListener("click", () => openDialog("shortcuts-dialog"));

// ---- keyboard -------------------------------------------------------------------------

async function moveSelection(delta, open) {
  const id = await inbox.move(delta);
  if (id && (open || route.messageId)) go({ messageId: id, query: route.query });
}

function selectedSummary() {
  return inbox.selection.selectedId ? inbox.rows.summary(inbox.selection.selectedId) : null;
}

bindKeys({
  next: () => moveSelection(1, false),
  previous: () => moveSelection(-1, false),
  open: () =>
    inbox.selection.selectedId && go({ messageId: inbox.selection.selectedId, query: route.query }),
  back: () => route.messageId && go({ query: route.query }),
  toggleCheck: () => inbox.selection.selectedId && inbox.toggleChecked(inbox.selection.selectedId),
  toggleRead: () => {
    const summary = selectedSummary();
    if (summary) run(() => api.setRead([summary.ID], !summary.Read), "Could not change read state");
  },
  remove: () => {
    if (inbox.selection.checked.size > 0) removeChecked();
    else if (route.messageId) removeOne(route.messageId);
    else if (inbox.selection.selectedId) removeOne(inbox.selection.selectedId);
  },
  search: () => $("search-input").focus(),
  leaveSearch: () => $("message-grid").focus(),
  help: () => openDialog("shortcuts-dialog"),
});

// ---- live events ----------------------------------------------------------------------

connectEvents(
  (type, data) => {
    switch (type) {
      case "new":
        inbox.live.messageAdded(data);
        break;
      case "update":
        inbox.live.messageUpdated(data);
        view.updated(data);
        break;
      case "delete":
        inbox.live.messageDeleted(data.ID);
        view.deleted(data.ID);
        break;
      case "truncate":
        inbox.live.truncated();
        if (view.currentId) view.deleted(view.currentId);
        break;
      case "prune":
        inbox.pages.scheduleRefresh();
        break;
      case "stats": // counts changed: of every mailbox, so the switcher asks for its own
        if (!route.mailbox) inbox.live.allUnreadChanged(data.Unread);
        switcher.refresh();
        updateChrome();
        break;
      case "error":
        errors.add(data);
        break;
      default:
        break;
    }
  },
  (state) => {
    const status = $("connection");
    status.textContent = state === "open" ? "" : "Reconnecting…";
    status.classList.toggle("offline", state !== "open");
    // Frames sent before the socket opened are lost, the first time too: the first page may
    // have been answered before the socket was up, so every opening reloads what is shown.
    if (state === "open") {
      inbox.pages.scheduleRefresh();
      switcher.refresh();
    }
  },
);

// ---- start ----------------------------------------------------------------------------

initTheme($("theme-button"));
switcher.refresh();
api.webui().then(
  (info) => {
    settings.label = info.Label || "";
    settings.relay = info.MessageRelay || null;
    settings.hideDeleteAll = Boolean(info.HideDeleteAllButton);
    $("app-label").textContent = settings.label;
    updateChrome();
    if (view.message) view.render();
  },
  () => {},
);
apply(route);
