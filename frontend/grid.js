// The list's grid in the page, virtualised: only the rows in view (plus a margin) exist in the
// DOM, each placed by its index in a spacer as tall as the whole list, so a mailbox of 100,000
// messages costs what a mailbox of 50 does. A row whose signature is unchanged is kept as it is,
// so a redraw (on every scroll) builds only the rows that changed or came into view.

import { PAGE_SIZE } from "./pages.js";
import { messageRow, placeholderRow, rowSignature } from "./row.js";

const OVERSCAN_ROWS = 10;
const RELATIVE_TIME_REFRESH_MS = 30_000;

export class MessageGrid {
  /** `redraw()` is called when what is in view may have changed: on scroll, on resize, and now
   * and then for the relative times. */
  constructor({ grid, spacer, empty }, redraw) {
    this.grid = grid;
    this.spacer = spacer;
    this.empty = empty;
    this.rendered = new Map(); // row index → {node, signature}
    this.rowHeight = 64;

    grid.addEventListener("scroll", redraw, { passive: true });
    new ResizeObserver(() => {
      this.measure();
      redraw();
    }).observe(grid);
    setInterval(redraw, RELATIVE_TIME_REFRESH_MS);
  }

  measure() {
    const value = parseFloat(getComputedStyle(this.grid).getPropertyValue("--row-height"));
    if (value > 0) this.rowHeight = value;
  }

  /** The row index at the top of the view. */
  topRow() {
    return Math.floor(this.grid.scrollTop / this.rowHeight);
  }

  /** The rows to draw, {first, last}: those in view and a margin (a page's worth before the
   * first page has told how many there are). */
  visibleRange(rows) {
    const first = this.topRow();
    const count = Math.ceil(this.grid.clientHeight / this.rowHeight) + 1;
    const lastRow = rows.loaded ? rows.total - 1 : PAGE_SIZE - 1;
    return {
      first: Math.max(0, first - OVERSCAN_ROWS),
      last: Math.max(-1, Math.min(lastRow, first + count + OVERSCAN_ROWS)),
    };
  }

  /** Draw the rows `first` to `last` of `rows`; `actions` as messageRow's. */
  draw({ first, last }, rows, selection, actions) {
    this.sizeSpacer(rows.total);
    this.empty.hidden = !rows.loaded || rows.total > 0;
    this.empty.textContent = rows.query
      ? `No messages match “${rows.query}”.`
      : "No messages yet. Send one to the SMTP port and it appears here.";

    const now = Date.now();
    for (const [index, entry] of this.rendered) {
      if (index < first || index > last) {
        entry.node.remove();
        this.rendered.delete(index);
      }
    }
    let activeDescendant = null;
    for (let index = first; index <= last; index += 1) {
      const summary = rows.at(index);
      const state = summary && selection.stateOf(summary.ID);
      const signature = rowSignature(summary, index, state, now);
      const entry = this.rendered.get(index);
      if (entry && entry.signature === signature) {
        if (state?.selected) activeDescendant = entry.node.id;
        continue;
      }
      const node = summary
        ? messageRow(summary, index, state, now, actions)
        : placeholderRow(index);
      node.style.transform = `translateY(${index * this.rowHeight}px)`;
      if (entry) entry.node.replaceWith(node);
      else this.spacer.append(node);
      this.rendered.set(index, { node, signature });
      if (state?.selected) activeDescendant = node.id;
    }
    if (activeDescendant) this.grid.setAttribute("aria-activedescendant", activeDescendant);
    else this.grid.removeAttribute("aria-activedescendant");
  }

  sizeSpacer(total) {
    this.spacer.style.height = `${total * this.rowHeight}px`;
    this.grid.setAttribute("aria-rowcount", String(total));
  }

  /** `count` rows were put above the others: unless the view is at the top (where new mail
   * shows), keep the rows in view where they are. */
  rowsAddedAbove(count, total) {
    if (!(this.grid.scrollTop > 0)) return;
    this.sizeSpacer(total); // first, or the scroll position is clamped to the old height
    this.grid.scrollTop += count * this.rowHeight;
  }

  scrollToTop() {
    this.grid.scrollTop = 0;
  }

  scrollToIndex(index) {
    const top = index * this.rowHeight;
    const bottom = top + this.rowHeight;
    if (top < this.grid.scrollTop) this.grid.scrollTop = top;
    else if (bottom > this.grid.scrollTop + this.grid.clientHeight) {
      this.grid.scrollTop = bottom - this.grid.clientHeight;
    }
  }
}
