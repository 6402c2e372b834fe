// The rows of the list shown (the inbox or a search, of one mailbox or all) that are loaded, and
// its counts. Plain data, no DOM and no requests, so that every way the rows change (a page
// answered, frames replayed over it, a live arrival, deletion or update) goes through the same
// few methods and keeps the counts right.
//
// Loaded rows are keyed from the bottom (the oldest message is key 0, the newest total - 1), so
// new mail arriving at the top moves no key: a page in flight stays valid however much arrives.

import { plural } from "./format.js";

const MAX_CACHED_ROWS = 3000;

export class LoadedRows {
  constructor() {
    this.query = "";
    this.mailbox = ""; // the mailbox shown; "" = every mailbox
    this.total = 0;
    this.unread = 0; // in this view
    this.mailboxUnread = 0; // in the whole mailbox (title and favicon)
    this.tags = [];
    this.loaded = false; // the first page of the current view has arrived
    this.byKey = new Map(); // key (total - 1 - row index) → MessageSummary
    this.newestSeq = 0; // the highest Seq counted in `total` (a `new` event at or below it is known)
    this.version = 0; // bumped by every change that moves keys; older responses are dropped
  }

  /** How many rows are loaded. */
  get size() {
    return this.byKey.size;
  }

  summaries() {
    return this.byKey.values();
  }

  at(index) {
    return this.byKey.get(this.total - 1 - index);
  }

  /** The row index of a loaded message, or -1. */
  indexOf(id) {
    for (const [key, summary] of this.byKey) if (summary.ID === id) return this.total - 1 - key;
    return -1;
  }

  summary(id) {
    const index = this.indexOf(id);
    return index < 0 ? null : this.at(index);
  }

  /**
   * Take a list/search response whose first row is row `start`; returns whether it set the
   * counts. The inbox's counts come from its first page only: that page also says which Seq
   * they include, so `new` events already counted are recognised (a deeper page cannot tell,
   * and `new` events add to the counts). The counts and the newest Seq are the snapshot's, not
   * the highest ever seen: the frames received since the request was sent are then replayed
   * over it (`replay`), so an answer older than a frame can neither undo that frame nor make a
   * `new` one look already counted.
   */
  take(result, start) {
    const total = result.messages_count;
    result.messages.forEach((summary, offset) => {
      this.byKey.set(total - 1 - (start + offset), summary);
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
    for (const key of this.byKey.keys()) if (key < 0 || key >= this.total) this.byKey.delete(key);
    return counting;
  }

  /**
   * Apply again, over an answer just taken, the frames received since its request was sent. A
   * deeper page (not `counting`) only gets its rows patched: the counts are the first page's,
   * which may already include a change.
   */
  replay(frames, counting) {
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
      this.byKey.set(this.total, summary);
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

  /** Forget a loaded message, counting it out; returns the row index it had, or -1. */
  removeLoaded(id) {
    const index = this.indexOf(id);
    if (index < 0 || this.query) return -1;
    const key = this.total - 1 - index;
    const summary = this.byKey.get(key);
    this.removeKey(key);
    this.total = Math.max(0, this.total - 1);
    if (!summary.Read) {
      this.unread = Math.max(0, this.unread - 1);
      this.mailboxUnread = Math.max(0, this.mailboxUnread - 1);
    }
    return index;
  }

  /** Forget the row at `key`: the rows above it move down one key. */
  removeKey(key) {
    const moved = new Map();
    for (const [k, summary] of this.byKey) {
      if (k < key) moved.set(k, summary);
      else if (k > key) moved.set(k - 1, summary);
    }
    this.byKey = moved;
    this.version += 1; // pages in flight were asked for under the old numbering
  }

  /** Give a loaded message the read state and tags of `change`; false if it is not loaded. */
  patchLoaded(change, { count }) {
    const index = this.indexOf(change.ID);
    if (index < 0) return false;
    const key = this.total - 1 - index;
    const summary = this.byKey.get(key);
    if (count && typeof change.Read === "boolean" && change.Read !== summary.Read) {
      this.unread += change.Read ? -1 : 1;
      this.mailboxUnread += change.Read ? -1 : 1;
    }
    if (Array.isArray(change.Tags)) change.Tags.forEach((tag) => this.learnTag(tag));
    this.byKey.set(key, patchSummary(summary, change));
    return true;
  }

  learnTag(tag) {
    if (!this.tags.some((t) => t.toLowerCase() === tag.toLowerCase())) {
      this.tags = [...this.tags, tag].sort((a, b) => a.localeCompare(b));
    }
  }

  /** Every message was deleted. */
  truncate() {
    this.byKey.clear();
    this.total = 0;
    this.unread = 0;
    this.mailboxUnread = 0;
    this.version += 1;
  }

  /** Keep the cache bounded: forget the rows far from the view, whose first row `topRow()`
   * gives (asked only when rows must go: it reads the page's layout). */
  evictFar(topRow) {
    if (this.byKey.size <= MAX_CACHED_ROWS) return;
    const centre = this.total - 1 - topRow();
    for (const key of this.byKey.keys()) {
      if (Math.abs(key - centre) > MAX_CACHED_ROWS / 3) this.byKey.delete(key);
    }
  }

  /** "12 messages · 3 unread" for the status line. */
  countText() {
    if (!this.loaded) return "Loading…";
    const unread = this.unread > 0 ? ` · ${this.unread.toLocaleString()} unread` : "";
    const total = this.query ? plural(this.total, "match", "matches") : plural(this.total, "message");
    return `${total}${unread}`;
  }
}

/** A copy of `summary` with the read state and tags of an `update` frame. */
function patchSummary(summary, change) {
  const patched = { ...summary };
  if (typeof change.Read === "boolean") patched.Read = change.Read;
  if (Array.isArray(change.Tags)) patched.Tags = change.Tags;
  return patched;
}
