// Fetching the list's rows, a page (the API's start/limit) at a time: only the pages the rows in
// view need, each page once at a time, and the visible ones again on request (debounced), so
// whatever live frames cannot patch exactly (a search result set, a deletion) converges.
//
// An answer is a snapshot that may be older than frames already applied (the request and the
// WebSocket race): the frames received since its request was sent are replayed over it, so a
// message shown live (or announced before the first page came) is never dropped, nor a read state
// or a count undone. An answer asked for under an older numbering of the rows (`version`) is
// dropped.

import { api } from "./api.js";

export const PAGE_SIZE = 100;
const REFRESH_DELAY_MS = 150;
const RETRY_DELAY_MS = 2000;

export class PageLoader {
  /**
   * `visibleRange()`: the rows in view, {first, last}; `accepted(addedAbove)`: an answer was taken into
   * `rows`; `refreshed()`: the visible rows were all fetched again; `render()`: draw the list
   * (which asks for the pages still missing).
   */
  constructor({ rows, journal, visibleRange, accepted, refreshed, render, onError }) {
    this.rows = rows;
    this.journal = journal;
    this.visibleRange = visibleRange;
    this.accepted = accepted;
    this.refreshed = refreshed;
    this.render = render;
    this.onError = onError;
    this.inFlight = new Set(); // `${version}:${page}`
    this.refreshTimer = null;
    this.retryTimer = null; // set while waiting to retry after a failed request
  }

  /** Fetch the pages of the rows `first` to `last` that are not loaded. */
  ensureLoaded(first, last) {
    if (this.retryTimer !== null) return;
    const pages = new Set();
    if (!this.rows.loaded) pages.add(0);
    for (let i = first; i <= last; i += 1) {
      if (!this.rows.at(i)) pages.add(Math.floor(i / PAGE_SIZE));
    }
    for (const page of pages) this.fetchPage(page);
  }

  async fetchPage(page) {
    const version = this.rows.version;
    const key = `${version}:${page}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    const mark = this.journal.begin();
    try {
      const result = await this.request(page);
      if (version !== this.rows.version) return;
      this.accept(result, page * PAGE_SIZE, mark);
    } catch (error) {
      if (version === this.rows.version) this.failed(error);
    } finally {
      this.inFlight.delete(key);
      this.journal.end();
    }
    this.render(); // also after a replayed deletion renumbered the rows (and the version)
  }

  request(page) {
    const { query, mailbox } = this.rows;
    return api.list(query, page * PAGE_SIZE, PAGE_SIZE, undefined, mailbox);
  }

  /** Take an answer whose first row is row `start`, and replay the frames received after `mark`.
   * `accepted` hears how many rows the answer put above those loaded: mail that arrived
   * without its frame (the WebSocket not open yet, or a refresh that came first). */
  accept(result, start, mark) {
    const before = this.rows.loaded ? this.rows.total : null;
    const counting = this.rows.take(result, start);
    const frames = this.journal.since(mark);
    if (frames === null) this.scheduleRefresh(); // too much happened meanwhile: ask again
    else this.rows.replay(frames, counting);
    this.accepted(before === null ? 0 : Math.max(0, this.rows.total - before));
  }

  /** Refetch the visible rows (keeping the old ones on screen until the answer arrives). */
  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }

  async refresh() {
    this.rows.version += 1;
    const version = this.rows.version;
    const { first, last } = this.visibleRange();
    const pages = [0]; // the first page carries the counts
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page += 1) {
      if (page > 0) pages.push(page);
    }
    const mark = this.journal.begin();
    try {
      const results = await Promise.all(pages.map((page) => this.request(page)));
      if (version !== this.rows.version) return;
      this.rows.byKey.clear();
      results.forEach((result, i) => this.accept(result, pages[i] * PAGE_SIZE, mark));
      this.refreshed();
    } catch (error) {
      if (version === this.rows.version) this.failed(error);
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
}
