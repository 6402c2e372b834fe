// The message list: a virtualised grid over the API's start/limit pages, kept live by the
// WebSocket. This module wires its parts together and is what the page talks to:
//   rows.js       the loaded rows and the counts (plain data)
//   pages.js      fetching the pages the view needs, and refreshing them
//   live.js       the WebSocket's frames applied to the rows
//   selection.js  the cursor, the open message and the checked rows
//   grid.js       the grid in the page (row.js builds one row)
// Each part gets only what it uses; the moves that touch several (a click, a key, a new view)
// are here.

import { MessageGrid } from "./grid.js";
import { FrameJournal } from "./journal.js";
import { LiveUpdates } from "./live.js";
import { PAGE_SIZE, PageLoader } from "./pages.js";
import { LoadedRows } from "./rows.js";
import { Selection } from "./selection.js";

export class Inbox {
  /**
   * `onOpen(id)`: the user asked to open a message; `onChange()`: counts, selection or checked
   * rows changed (the toolbar and title follow).
   */
  constructor({ grid, spacer, empty, onOpen, onChange, onError }) {
    this.onOpen = onOpen;
    this.onChange = onChange;
    this.rows = new LoadedRows();
    this.selection = new Selection();
    const journal = new FrameJournal(); // frames to replay over answers older than them
    this.grid = new MessageGrid({ grid, spacer, empty }, () => this.render());
    this.pages = new PageLoader({
      rows: this.rows,
      journal,
      visibleRange: () => this.grid.visibleRange(this.rows),
      accepted: (addedAbove) => {
        if (addedAbove > 0) this.grid.rowsAddedAbove(addedAbove, this.rows.total);
        this.rows.evictFar(() => this.grid.topRow());
        this.onChange();
      },
      refreshed: () => this.selection.dropStaleChecks(this.rows),
      render: () => this.render(),
      onError,
    });
    this.live = new LiveUpdates({
      rows: this.rows,
      selection: this.selection,
      journal,
      pages: this.pages,
      grid: this.grid,
      changed: () => this.changed(),
    });
    this.rowActions = {
      check: (id, checked) => this.toggleChecked(id, checked),
      open: (id, index) => {
        this.selection.place(id, index);
        this.onOpen(id);
      },
    };
  }

  /** Show the inbox (empty query) or a search, of one mailbox or all, from the first row. */
  show(query, mailbox = "") {
    const rows = this.rows;
    if (query === rows.query && mailbox === rows.mailbox && rows.loaded) return;
    rows.query = query;
    rows.mailbox = mailbox;
    rows.loaded = false;
    this.selection.restart();
    this.grid.scrollToTop();
    this.reload();
  }

  /** Drop everything loaded and fetch the visible rows again. */
  reload() {
    this.rows.version += 1;
    this.rows.byKey.clear();
    this.render();
  }

  render() {
    const range = this.grid.visibleRange(this.rows);
    this.pages.ensureLoaded(range.first, range.last);
    this.selection.settle(this.rows);
    this.grid.draw(range, this.rows, this.selection, this.rowActions);
  }

  changed() {
    this.render();
    this.onChange();
  }

  select(index) {
    if (!this.selection.moveTo(index, this.rows)) return;
    this.grid.scrollToIndex(this.selection.selectedIndex);
    this.changed();
  }

  /** Select the row `delta` rows away from the selection; returns its ID once it is loaded. */
  async move(delta) {
    this.select(this.selection.cursorIndex(this.rows) + delta);
    if (this.selection.selectedId === null) {
      await this.pages.fetchPage(Math.floor(this.selection.selectedIndex / PAGE_SIZE));
      this.select(this.selection.selectedIndex);
    }
    return this.selection.selectedId;
  }

  selectId(id) {
    const index = this.rows.indexOf(id);
    this.selection.place(id, index);
    if (index >= 0) this.grid.scrollToIndex(index);
    this.render();
  }

  toggleChecked(id, checked) {
    this.selection.toggle(id, checked);
    this.changed();
  }

  checkAllLoaded(checked) {
    this.selection.checkAllLoaded(checked, this.rows);
    this.changed();
  }
}
