// The mailbox switcher: "All mailboxes" and one button per mailbox, each with its count and an
// unread badge, kept live by the page (it calls `refresh()` on the events that change counts).
// Hidden while the sink has a single mailbox, so a sink without mailboxes looks as before.

import { api } from "./api.js";
import { el, setChildren } from "./dom.js";

const REFRESH_DELAY_MS = 150;

export class MailboxSwitcher {
  constructor(container, onPick) {
    this.container = container;
    this.onPick = onPick;
    this.mailboxes = []; // [{Name, Total, Unread, Newest}]
    this.current = "";
    this.timer = null;
  }

  /** Fetch the counts again, soon (several events in a row cost one request). */
  refresh() {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      try {
        this.mailboxes = await api.mailboxes();
      } catch {
        return; // the page's other requests report a server that is away
      }
      this.render();
    }, REFRESH_DELAY_MS);
  }

  show(mailbox) {
    this.current = mailbox;
    this.render();
  }

  render() {
    const several = this.mailboxes.length > 1 || Boolean(this.current);
    this.container.hidden = !several;
    if (!several) return;
    const total = this.mailboxes.reduce((sum, m) => sum + m.Total, 0);
    const unread = this.mailboxes.reduce((sum, m) => sum + m.Unread, 0);
    const known = this.mailboxes.some((m) => m.Name === this.current);
    const shown = known || !this.current
      ? this.mailboxes
      : [...this.mailboxes, { Name: this.current, Total: 0, Unread: 0 }];
    setChildren(
      this.container,
      this.button("", "All mailboxes", total, unread),
      shown.map((m) => this.button(m.Name, m.Name, m.Total, m.Unread)),
    );
  }

  button(name, label, total, unread) {
    return el(
      "button",
      {
        type: "button",
        class: "mailbox-button",
        "aria-current": name === this.current ? "true" : null,
        dataset: { mailbox: name },
        "aria-label": `${label}: ${total} messages, ${unread} unread`,
        onclick: () => this.onPick(name),
      },
      el("span", { class: "mailbox-name", text: label }),
      el("span", { class: "mailbox-total", text: total.toLocaleString() }),
      unread > 0 && el("span", { class: "mailbox-unread", text: unread.toLocaleString() }),
    );
  }
}
