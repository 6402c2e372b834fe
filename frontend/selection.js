// Which rows of the list the user has picked: the cursor (moved by the keyboard and by clicks),
// the message open beside the list, and the rows checked for a bulk action. The cursor holds
// both a message and a row index, so that it stays on its message while rows move, and falls on
// the next row when its message goes.

export class Selection {
  constructor() {
    this.selectedId = null; // the message under the cursor; null until its row is loaded
    this.selectedIndex = 0; // the row index of the cursor
    this.openId = null; // the message shown in the message pane
    this.checked = new Set();
  }

  /** A new view starts with nothing checked and the cursor on the open message or the top. */
  restart() {
    this.checked.clear();
    this.selectedId = this.openId;
    this.selectedIndex = 0;
  }

  /** Every message was deleted. */
  clear() {
    this.checked.clear();
    this.selectedId = null;
    this.selectedIndex = 0;
  }

  /** Put the cursor on message `id`, at row `index` when that is known (not -1). */
  place(id, index) {
    this.selectedId = id;
    if (index >= 0) this.selectedIndex = index;
  }

  /** Put the cursor on row `index` of `rows` (within them); false when there are none. */
  moveTo(index, rows) {
    if (rows.total === 0) return false;
    this.selectedIndex = Math.max(0, Math.min(rows.total - 1, index));
    const summary = rows.at(this.selectedIndex);
    this.selectedId = summary ? summary.ID : null;
    return true;
  }

  /** The row index of the cursor: its message's, while that is loaded. */
  cursorIndex(rows) {
    const current = this.selectedId ? rows.indexOf(this.selectedId) : -1;
    return current >= 0 ? current : this.selectedIndex;
  }

  /** The cursor starts on a row: the one at its index, once loaded. */
  settle(rows) {
    if (this.selectedId === null && rows.at(this.selectedIndex)) {
      this.selectedId = rows.at(this.selectedIndex).ID;
    }
  }

  /** Message `id`, which was at row `index`, is gone: the cursor falls on the next row. */
  removed(id, index, total) {
    if (this.selectedId !== id) return;
    this.selectedId = null;
    this.selectedIndex = Math.min(index, Math.max(0, total - 1));
  }

  toggle(id, checked = !this.checked.has(id)) {
    if (checked) this.checked.add(id);
    else this.checked.delete(id);
  }

  checkAllLoaded(checked, rows) {
    this.checked.clear();
    if (checked) for (const summary of rows.summaries()) this.checked.add(summary.ID);
  }

  /** Uncheck the messages no longer listed. */
  dropStaleChecks(rows) {
    if (this.checked.size === 0) return;
    const present = new Set([...rows.summaries()].map((s) => s.ID));
    for (const id of this.checked) if (!present.has(id)) this.checked.delete(id);
  }

  /** What a row shows of the selection. */
  stateOf(id) {
    return {
      checked: this.checked.has(id),
      selected: id === this.selectedId,
      open: id === this.openId,
    };
  }
}
