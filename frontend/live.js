// The WebSocket's frames applied to the list: arrivals, deletions and read or tag changes patch
// the loaded rows in place; whatever cannot be patched exactly (a search result set, rows not
// loaded) is fetched again for the visible range. Every frame is also recorded in the journal,
// to be replayed over list answers older than it (see pages.js).

export class LiveUpdates {
  /** `changed()`: the rows or the selection changed (the list is drawn again, the page's
   * chrome follows). */
  constructor({ rows, selection, journal, pages, grid, changed }) {
    this.rows = rows;
    this.selection = selection;
    this.journal = journal;
    this.pages = pages;
    this.grid = grid;
    this.changed = changed;
    this.pendingNew = [];
  }

  messageAdded(summary) {
    if (this.rows.mailbox && summary.Mailbox !== this.rows.mailbox) return; // another mailbox's
    if (this.rows.query) {
      this.pages.scheduleRefresh();
      return;
    }
    this.journal.record("new", summary);
    this.pendingNew.push(summary);
    if (this.pendingNew.length === 1) requestAnimationFrame(() => this.flushNew());
  }

  /** Show the arrivals of this frame; before the first page they wait for it (see rows.replay). */
  flushNew() {
    const pending = this.pendingNew;
    this.pendingNew = [];
    if (!this.rows.loaded) return;
    const added = this.rows.addArrivals(pending);
    if (added === 0) return;
    this.grid.rowsAddedAbove(added, this.rows.total);
    this.changed();
  }

  messageDeleted(id) {
    this.journal.record("delete", id);
    this.selection.checked.delete(id);
    this.pages.scheduleRefresh(); // converges whatever this patch cannot know (rows not loaded)
    const index = this.rows.removeLoaded(id);
    if (index < 0) return;
    this.selection.removed(id, index, this.rows.total);
    this.changed();
  }

  messageUpdated(change) {
    this.journal.record("update", change);
    if (this.rows.patchLoaded(change, { count: true })) this.changed();
    if (this.rows.query) this.pages.scheduleRefresh();
  }

  /** The unread count of every mailbox, from a `stats` frame (the title shows it). */
  allUnreadChanged(unread) {
    this.journal.record("unread", unread);
    this.rows.mailboxUnread = unread;
  }

  truncated() {
    this.rows.truncate();
    this.selection.clear();
    this.changed();
  }
}
