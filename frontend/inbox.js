// The message list: a virtualised grid over the API's start/limit pages. Only the rows in view
// (plus a margin) exist in the DOM, and only the pages they need are fetched, so a mailbox of
// 100,000 messages costs what a mailbox of 50 does. Live events patch the loaded rows in place;
// whatever cannot be patched exactly (a search result set, a deletion) is refetched for the
// visible range.
//
// Loaded rows are keyed from the bottom (the oldest message is key 0, the newest total - 1), so
// new mail arriving at the top moves no key: a page in flight stays valid however much arrives.
//
// An answer is a snapshot that may be older than frames already applied (the request and the
// WebSocket race): the frames received since its request was sent are replayed over it, so a
// message shown live (or announced before the first page came) is never dropped, nor a read state
// or a count undone.

import { api } from "./api.js";
import { el, setChildren, icon, ICONS } from "./dom.js";
import { addressShort, exactTime, formatSize, plural, relativeTime } from "./format.js";
import { FrameJournal } from "./journal.js";

const PAGE_SIZE = 100;
const OVERSCAN_ROWS = 10;
const MAX_CACHED_ROWS = 3000;
const REFRESH_DELAY_MS = 150;
const RETRY_DELAY_MS = 2000;

export class Inbox {
  /**
   * `onOpen(id)`: the user asked to open a message; `onChange()`: counts, selection or checked
   * rows changed (the toolbar and title follow).
   */
  constructor({ grid, spacer, empty, onOpen, onChange, onError }) {
    this.grid = grid;
    this.spacer = spacer;
    this.empty = empty;
    this.onOpen = onOpen;
    this.onChange = onChange;
    this.onError = onError;

    this.query = "";
    this.mailbox = ""; // the mailbox shown; "" = every mailbox
    this.total = 0;
    this.unread = 0; // in this view
    this.mailboxUnread = 0; // in the whole mailbox (title and favicon)
    this.tags = [];
    this.loaded = false; // the first page of the current view has arrived
    this.rows = new Map(); // key (total - 1 - row index) → MessageSummary
    this.newestSeq = 0; // the highest Seq counted in `total` (a `new` event at or below it is known)
    this.version = 0; // bumped by every change that moves keys; older responses are dropped
    this.inFlight = new Set(); // `${version}:${page}`
    this.rendered = new Map(); // row index → {node, signature}
    this.selectedId = null;
    this.selectedIndex = 0;
    this.openId = null;
    this.checked = new Set();
    this.pendingNew = [];
    this.journal = new FrameJournal(); // frames to replay over answers older than them
    this.refreshTimer = null;
    this.retryTimer = null; // set while waiting to retry after a failed request
    this.rowHeight = 64;

    grid.addEventListener("scroll", () => this.render(), { passive: true });
    new ResizeObserver(() => {
      this.measure();
      this.render();
    }).observe(grid);
    setInterval(() => this.render(), 30_000); // relative times
  }

  measure() {
    const value = parseFloat(getComputedStyle(this.grid).getPropertyValue("--row-height"));
    if (value > 0) this.rowHeight = value;
  }

  /** Show the inbox (empty query) or a search, of one mailbox or all, from the first row. */
  show(query, mailbox = "") {
    if (query === this.query && mailbox === this.mailbox && this.loaded) return;
    this.query = query;
    this.mailbox = mailbox;
    this.loaded = false;
    this.checked.clear();
    this.selectedId = this.openId;
    this.selectedIndex = 0;
    this.grid.scrollTop = 0;
    this.reload();
  }

  /** Drop everything loaded and fetch the visible rows again. */
  reload() {
    this.version += 1;
    this.rows.clear();
    this.render();
  }

  // ---- data ---------------------------------------------------------------------------

  visibleRange() {
    const first = Math.floor(this.grid.scrollTop / this.rowHeight);
    const count = Math.ceil(this.grid.clientHeight / this.rowHeight) + 1;
    const lastRow = this.loaded ? this.total - 1 : PAGE_SIZE - 1;
    return {
      first: Math.max(0, first - OVERSCAN_ROWS),
      last: Math.max(-1, Math.min(lastRow, first + count + OVERSCAN_ROWS)),
    };
  }

  ensureLoaded(first, last) {
    if (this.retryTimer !== null) return;
    const pages = new Set();
    if (!this.loaded) pages.add(0);
    for (let i = first; i <= last; i += 1) {
      if (!this.rowAt(i)) pages.add(Math.floor(i / PAGE_SIZE));
    }
    for (const page of pages) this.fetchPage(page);
  }

  async fetchPage(page) {
    const version = this.version;
    const key = `${version}:${page}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    const mark = this.journal.begin();
    try {
      const result = await api.list(this.query, page * PAGE_SIZE, PAGE_SIZE, undefined, this.mailbox);
      if (version !== this.version) return;
      this.accept(result, page * PAGE_SIZE, mark);
    } catch (error) {
      if (version === this.version) this.failed(error);
    } finally {
      this.inFlight.delete(key);
      this.journal.end();
    }
    this.render(); // also after a replayed deletion renumbered the rows (and the version)
  }

  rowAt(index) {
    return this.rows.get(this.total - 1 - index);
  }

  /**
   * Take a list/search response whose first row is row `start`. The inbox's counts come from
   * its first page only: that page also says which Seq they include, so `new` events already
   * counted are recognised (a deeper page cannot tell, and `new` events add to the counts).
   * The counts and the newest Seq are the snapshot's, not the highest ever seen: the frames
   * received since the request was sent (`mark`) are then replayed over it, so an answer older
   * than a frame can neither undo that frame nor make a `new` one look already counted.
   */
  accept(result, start, mark) {
    const total = result.messages_count;
    result.messages.forEach((summary, offset) => {
      this.rows.set(total - 1 - (start + offset), summary);
    });
    const counting = start === 0 || this.query;
    if (counting) {
      this.total = total;
      this.unread = result.messages_unread;
      this.mailboxUnread = result.unread;
      this.newestSeq = result.messages[0]?.Seq ?? 0;
    }
    this.tags = result.tags || [];
    this.loaded = true;
    for (const key of this.rows.keys()) if (key < 0 || key >= this.total) this.rows.delete(key);
    this.replay(mark, counting);
    this.evictFarRows();
    this.onChange();
  }

  /**
   * Apply again the frames received after `mark` over an answer just taken. A deeper page only
   * gets its rows patched: the counts are the first page's, which may already include a change.
   */
  replay(mark, counting) {
    const frames = this.journal.since(mark);
    if (frames === null) {
      this.scheduleRefresh(); // too much happened meanwhile: ask again
      return;
    }
    for (const { type, data } of frames) {
      if (type === "update") this.patchLoaded(data, { count: counting });
      else if (!counting) continue;
      else if (type === "new" && !this.query) this.addArrivals([data]);
      else if (type === "delete") this.removeLoaded(data);
      else if (type === "unread") this.mailboxUnread = data;
    }
  }

  /**
   * Put live arrivals on top of the loaded rows, counting them; those the counts already
   * include (their Seq is not above the newest counted) or already listed are skipped.
   * Returns how many were added.
   */
  addArrivals(summaries) {
    const fresh = summaries.filter((s) => !(s.Seq <= this.newestSeq) && this.indexOf(s.ID) < 0);
    fresh.sort((a, b) => (a.Seq ?? 0) - (b.Seq ?? 0));
    for (const summary of fresh) {
      this.rows.set(this.total, summary);
      this.total += 1;
      this.newestSeq = Math.max(this.newestSeq, summary.Seq ?? 0);
      if (!summary.Read) {
        this.unread += 1;
        this.mailboxUnread += 1;
      }
      for (const tag of summary.Tags || []) this.learnTag(tag);
    }
    return fresh.length;
  }

  evictFarRows() {
    if (this.rows.size <= MAX_CACHED_ROWS) return;
    const centre = this.total - 1 - Math.floor(this.grid.scrollTop / this.rowHeight);
    for (const key of this.rows.keys()) {
      if (Math.abs(key - centre) > MAX_CACHED_ROWS / 3) this.rows.delete(key);
    }
  }

  /** Refetch the visible rows (keeping the old ones on screen until the answer arrives). */
  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }

  async refresh() {
    this.version += 1;
    const version = this.version;
    const { first, last } = this.visibleRange();
    const pages = [0]; // the first page carries the counts
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page += 1) {
      if (page > 0) pages.push(page);
    }
    const mark = this.journal.begin();
    try {
      const results = await Promise.all(
        pages.map((page) => api.list(this.query, page * PAGE_SIZE, PAGE_SIZE, undefined, this.mailbox)),
      );
      if (version !== this.version) return;
      this.rows.clear();
      results.forEach((result, i) => this.accept(result, pages[i] * PAGE_SIZE, mark));
      this.dropStaleChecks();
    } catch (error) {
      if (version === this.version) this.failed(error);
    } finally {
      this.journal.end();
    }
    this.render();
  }

  /** Report a failed request once, and try again a little later (the server may be restarting). */
  failed(error) {
    if (this.retryTimer !== null) return;
    this.onError(error);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.render();
    }, RETRY_DELAY_MS);
  }

  dropStaleChecks() {
    if (this.checked.size === 0) return;
    const present = new Set([...this.rows.values()].map((s) => s.ID));
    for (const id of this.checked) if (!present.has(id)) this.checked.delete(id);
  }

  /** The row index of a loaded message, or -1. */
  indexOf(id) {
    for (const [key, summary] of this.rows) if (summary.ID === id) return this.total - 1 - key;
    return -1;
  }

  summary(id) {
    const index = this.indexOf(id);
    return index < 0 ? null : this.rowAt(index);
  }

  /** Forget the row at `key`: the rows above it move down one key. */
  removeKey(key) {
    const moved = new Map();
    for (const [k, summary] of this.rows) {
      if (k < key) moved.set(k, summary);
      else if (k > key) moved.set(k - 1, summary);
    }
    this.rows = moved;
    this.version += 1; // pages in flight were asked for under the old numbering
  }

  // ---- live events --------------------------------------------------------------------

  messageAdded(summary) {
    if (this.mailbox && summary.Mailbox !== this.mailbox) return; // another mailbox's
    if (this.query) {
      this.scheduleRefresh();
      return;
    }
    this.journal.record("new", summary);
    this.pendingNew.push(summary);
    if (this.pendingNew.length === 1) requestAnimationFrame(() => this.flushNew());
  }

  /** Show the arrivals of this frame; before the first page they wait for it (see replay). */
  flushNew() {
    const pending = this.pendingNew;
    this.pendingNew = [];
    if (!this.loaded) return;
    const keepPosition = this.grid.scrollTop > 0;
    const added = this.addArrivals(pending);
    if (added === 0) return;
    if (keepPosition) {
      this.sizeSpacer(); // first, or the scroll position is clamped to the old height
      this.grid.scrollTop += added * this.rowHeight;
    }
    this.render();
    this.onChange();
  }

  messageDeleted(id) {
    this.journal.record("delete", id);
    this.checked.delete(id);
    this.scheduleRefresh(); // converges whatever this patch cannot know (rows not loaded)
    const index = this.removeLoaded(id);
    if (index < 0) return;
    if (this.selectedId === id) {
      this.selectedId = null; // the cursor falls on the next row
      this.selectedIndex = Math.min(index, Math.max(0, this.total - 1));
    }
    this.render();
    this.onChange();
  }

  /** Forget a loaded message, counting it out; returns the row index it had, or -1. */
  removeLoaded(id) {
    const index = this.indexOf(id);
    if (index < 0 || this.query) return -1;
    const key = this.total - 1 - index;
    const summary = this.rows.get(key);
    this.removeKey(key);
    this.total = Math.max(0, this.total - 1);
    if (!summary.Read) {
      this.unread = Math.max(0, this.unread - 1);
      this.mailboxUnread = Math.max(0, this.mailboxUnread - 1);
    }
    return index;
  }

  messageUpdated(change) {
    this.journal.record("update", change);
    if (this.patchLoaded(change, { count: true })) {
      this.render();
      this.onChange();
    }
    if (this.query) this.scheduleRefresh();
  }

  /** Give a loaded message the read state and tags of `change`; false if it is not loaded. */
  patchLoaded(change, { count }) {
    const index = this.indexOf(change.ID);
    if (index < 0) return false;
    const key = this.total - 1 - index;
    const summary = this.rows.get(key);
    if (count && typeof change.Read === "boolean" && change.Read !== summary.Read) {
      this.unread += change.Read ? -1 : 1;
      this.mailboxUnread += change.Read ? -1 : 1;
    }
    if (Array.isArray(change.Tags)) change.Tags.forEach((tag) => this.learnTag(tag));
    this.rows.set(key, patchSummary(summary, change));
    return true;
  }

  /** The unread count of every mailbox, from a `stats` frame (the title shows it). */
  allUnreadChanged(unread) {
    this.journal.record("unread", unread);
    this.mailboxUnread = unread;
  }

  learnTag(tag) {
    if (!this.tags.some((t) => t.toLowerCase() === tag.toLowerCase())) {
      this.tags = [...this.tags, tag].sort((a, b) => a.localeCompare(b));
    }
  }

  truncated() {
    this.rows.clear();
    this.total = 0;
    this.unread = 0;
    this.mailboxUnread = 0;
    this.checked.clear();
    this.selectedId = null;
    this.selectedIndex = 0;
    this.version += 1;
    this.render();
    this.onChange();
  }

  // ---- selection ----------------------------------------------------------------------

  select(index, { scroll = true } = {}) {
    if (this.total === 0) return;
    this.selectedIndex = Math.max(0, Math.min(this.total - 1, index));
    const summary = this.rowAt(this.selectedIndex);
    this.selectedId = summary ? summary.ID : null;
    if (scroll) this.scrollToIndex(this.selectedIndex);
    this.render();
    this.onChange();
  }

  /** Select the row `delta` rows away from the selection; returns its ID once it is loaded. */
  async move(delta) {
    const current = this.selectedId ? this.indexOf(this.selectedId) : -1;
    this.select((current >= 0 ? current : this.selectedIndex) + delta);
    if (this.selectedId === null) {
      await this.fetchPage(Math.floor(this.selectedIndex / PAGE_SIZE));
      this.select(this.selectedIndex);
    }
    return this.selectedId;
  }

  selectId(id) {
    const index = this.indexOf(id);
    this.selectedId = id;
    if (index >= 0) {
      this.selectedIndex = index;
      this.scrollToIndex(index);
    }
    this.render();
  }

  scrollToIndex(index) {
    const top = index * this.rowHeight;
    const bottom = top + this.rowHeight;
    if (top < this.grid.scrollTop) this.grid.scrollTop = top;
    else if (bottom > this.grid.scrollTop + this.grid.clientHeight) {
      this.grid.scrollTop = bottom - this.grid.clientHeight;
    }
  }

  toggleChecked(id, checked = !this.checked.has(id)) {
    if (checked) this.checked.add(id);
    else this.checked.delete(id);
    this.render();
    this.onChange();
  }

  checkAllLoaded(checked) {
    this.checked.clear();
    if (checked) for (const summary of this.rows.values()) this.checked.add(summary.ID);
    this.render();
    this.onChange();
  }

  // ---- rendering ----------------------------------------------------------------------

  render() {
    const { first, last } = this.visibleRange();
    this.ensureLoaded(first, last);
    this.sizeSpacer();
    this.empty.hidden = !this.loaded || this.total > 0;
    this.empty.textContent = this.query
      ? `No messages match “${this.query}”.`
      : "No messages yet. Send one to the SMTP port and it appears here.";

    if (this.selectedId === null && this.rowAt(this.selectedIndex)) {
      this.selectedId = this.rowAt(this.selectedIndex).ID; // the cursor starts on a row
    }
    const now = Date.now();
    for (const [index, entry] of this.rendered) {
      if (index < first || index > last) {
        entry.node.remove();
        this.rendered.delete(index);
      }
    }
    let activeDescendant = null;
    for (let index = first; index <= last; index += 1) {
      const summary = this.rowAt(index);
      const signature = this.signature(summary, index, now);
      const entry = this.rendered.get(index);
      if (entry && entry.signature === signature) {
        if (summary?.ID === this.selectedId) activeDescendant = entry.node.id;
        continue;
      }
      const node = summary ? this.row(summary, index, now) : placeholderRow(index);
      node.style.transform = `translateY(${index * this.rowHeight}px)`;
      if (entry) entry.node.replaceWith(node);
      else this.spacer.append(node);
      this.rendered.set(index, { node, signature });
      if (summary?.ID === this.selectedId) activeDescendant = node.id;
    }
    if (activeDescendant) this.grid.setAttribute("aria-activedescendant", activeDescendant);
    else this.grid.removeAttribute("aria-activedescendant");
  }

  sizeSpacer() {
    this.spacer.style.height = `${this.total * this.rowHeight}px`;
    this.grid.setAttribute("aria-rowcount", String(this.total));
  }

  signature(summary, index, now) {
    if (!summary) return `placeholder:${index}`;
    return [
      summary.ID,
      summary.Read,
      (summary.Tags || []).join("\u0000"),
      this.checked.has(summary.ID),
      summary.ID === this.selectedId,
      summary.ID === this.openId,
      relativeTime(summary.Created, now),
    ].join("|");
  }

  row(summary, index, now) {
    const from = addressShort(summary.From) || "(no sender)";
    const subject = summary.Subject || "(no subject)";
    const recipients = [...(summary.To || []), ...(summary.Cc || [])].map(addressShort).join(", ");
    const unread = !summary.Read;
    const classes = ["row"];
    if (unread) classes.push("unread");
    if (summary.ID === this.selectedId) classes.push("selected");
    if (summary.ID === this.openId) classes.push("open");
    const checkbox = el("input", {
      type: "checkbox",
      checked: this.checked.has(summary.ID),
      "aria-label": `Select message: ${subject}`,
      tabindex: "-1",
      onclick: (event) => {
        event.stopPropagation();
        this.toggleChecked(summary.ID, event.target.checked);
      },
    });
    const tags = (summary.Tags || []).map((tag) => el("span", { class: "tag", text: tag }));
    const size = formatSize(summary.Size);
    return el(
      "div",
      {
        class: classes.join(" "),
        role: "row",
        id: `row-${summary.ID}`,
        "aria-rowindex": index + 1,
        "aria-selected": summary.ID === this.selectedId ? "true" : "false",
        "aria-label": `${unread ? "Unread, " : ""}${from}: ${subject}`,
        dataset: { id: summary.ID },
        onclick: () => {
          this.selectedId = summary.ID;
          this.selectedIndex = index;
          this.onOpen(summary.ID);
        },
      },
      el("div", { class: "cell-check", role: "gridcell" }, checkbox),
      el(
        "div",
        { class: "cell-main", role: "gridcell" },
        el(
          "div",
          { class: "line line-top" },
          el("span", { class: "unread-dot", "aria-hidden": "true" }),
          el("span", { class: "from", text: from, title: summary.From?.Address || "" }),
          summary.Attachments > 0 &&
            el(
              "span",
              { class: "attach-marker", title: plural(summary.Attachments, "attachment") },
              icon(ICONS.paperclip, plural(summary.Attachments, "attachment")),
            ),
          el("span", { class: "size", text: size }),
          el("time", {
            class: "time",
            datetime: summary.Created,
            title: exactTime(summary.Created),
            text: relativeTime(summary.Created, now),
          }),
        ),
        el(
          "div",
          { class: "line line-subject" },
          el("span", { class: "subject", text: subject }),
          tags.length > 0 && el("span", { class: "tags" }, tags),
        ),
        el(
          "div",
          { class: "line line-snippet" },
          recipients && el("span", { class: "to", text: `To ${recipients}` }),
          el("span", { class: "snippet", text: summary.Snippet || "" }),
        ),
      ),
    );
  }

  /** "12 messages · 3 unread" for the status line. */
  countText() {
    if (!this.loaded) return "Loading…";
    const unread = this.unread > 0 ? ` · ${this.unread.toLocaleString()} unread` : "";
    const total = this.query ? plural(this.total, "match", "matches") : plural(this.total, "message");
    return `${total}${unread}`;
  }

  /** The tag bar: one button per tag, each a search. Redrawn only when the tags change, so
   * that a click is never lost to a button replaced by an identical one mid-click. */
  renderTags(container, onTag) {
    container.hidden = this.tags.length === 0;
    const shown = JSON.stringify(this.tags);
    if (container.dataset.tags === shown) return;
    container.dataset.tags = shown;
    setChildren(
      container,
      this.tags.map((tag) =>
        el("button", {
          type: "button",
          class: "tag tag-button",
          text: tag,
          "aria-label": `Show messages tagged ${tag}`,
          onclick: () => onTag(tag),
        }),
      ),
    );
  }
}

/** A copy of `summary` with the read state and tags of an `update` frame. */
function patchSummary(summary, change) {
  const patched = { ...summary };
  if (typeof change.Read === "boolean") patched.Read = change.Read;
  if (Array.isArray(change.Tags)) patched.Tags = change.Tags;
  return patched;
}

function placeholderRow(index) {
  return el(
    "div",
    { class: "row placeholder", role: "row", "aria-rowindex": index + 1, "aria-label": "Loading" },
    el("div", { class: "cell-check", role: "gridcell" }),
    el(
      "div",
      { class: "cell-main", role: "gridcell" },
      el("div", { class: "line skeleton" }),
      el("div", { class: "line skeleton short" }),
    ),
  );
}
