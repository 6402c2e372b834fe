// The message view: header, actions and the tabbed panels (HTML, Text, Headers, Raw, MIME,
// Attachments, Envelope, Warnings, and the checks of checks.js). The HTML body is never put into this page: it is shown by
// an <iframe sandbox> whose src is the server's /view/{ID}.html, which carries a strict CSP.

import { api, messagePath, url } from "./api.js";
import { el, icon, ICONS, setChildren } from "./dom.js";
import { addressList, addressText, exactTime, formatSize } from "./format.js";
import {
  attachmentsPanel,
  emptyNote,
  envelopePanel,
  headersPanel,
  mimePanel,
  rawPanel,
  textPanel,
  warningsPanel,
} from "./panels.js";
import {
  authPanel,
  CHECK_TABS,
  checkPanel,
  compatibilityPanel,
  deliverabilityPanel,
  linksPanel,
  spamPanel,
} from "./checks.js";

const TABS = ["HTML", "Text", "Headers", "Raw", "MIME", "Attachments", "Envelope", "Warnings", ...CHECK_TABS];
const PREVIEW_WIDTHS = { Phone: "375px", Tablet: "768px", Desktop: "100%" };
const REMOTE_CONTENT = /(?:\b(?:src|background|srcset|poster)\s*=\s*["']?\s*|url\(\s*["']?\s*)(?:https?:)?\/\//i;
const TAB_KEY = "mailsink.tab";
const WIDTH_KEY = "mailsink.previewWidth";

export class MessageView {
  /**
   * `actions`: {back(), move(delta), remove(id), release(message), copyLink(id), notify(text),
   * relayEnabled(), readChanged(id, read)}.
   */
  constructor(pane, placeholder, actions) {
    this.pane = pane;
    this.placeholder = placeholder;
    this.actions = actions;
    this.message = null;
    this.currentId = null; // the message shown or being loaded
    this.read = true;
    this.remoteImages = false;
    this.tab = localStorage.getItem(TAB_KEY) || "HTML";
    this.previewWidth = localStorage.getItem(WIDTH_KEY) || "Desktop";
    this.loads = new Map(); // tab → Promise of its panel content, per message
    this.token = 0;
  }

  async show(id) {
    this.token += 1;
    const token = this.token;
    this.currentId = id;
    this.pane.classList.add("has-message");
    let message;
    try {
      message = await api.message(id); // marks it read, as in Mailpit
    } catch (error) {
      if (token !== this.token) return;
      this.message = null;
      setChildren(
        this.pane,
        this.toolbar(null),
        el("p", {
          class: "empty-note",
          role: "alert",
          text: error.status === 404 ? "This message no longer exists." : `Could not load the message: ${error.message}`,
        }),
      );
      return;
    }
    if (token !== this.token) return;
    this.message = message;
    this.read = true;
    this.remoteImages = false;
    this.loads = new Map();
    this.render();
    this.actions.readChanged(id, true); // fetching it marked it read

  }

  close() {
    this.token += 1;
    this.message = null;
    this.currentId = null;
    this.pane.classList.remove("has-message");
    setChildren(this.pane, this.placeholder);
  }

  /** A live `update` event for this message. */
  updated(change) {
    if (!this.message || change.ID !== this.message.ID) return;
    if (typeof change.Read === "boolean") {
      this.read = change.Read;
      this.renderReadButton();
    }
    if (Array.isArray(change.Tags)) {
      this.message.Tags = change.Tags;
      this.renderTags();
    }
  }

  deleted(id) {
    if (this.currentId !== id) return;
    this.token += 1;
    setChildren(
      this.pane,
      this.toolbar(null),
      el("p", { class: "empty-note", role: "alert", text: "This message was deleted." }),
    );
    this.message = null;
  }

  // ---- layout -------------------------------------------------------------------------

  render() {
    const message = this.message;
    const available = this.availableTab(this.tab);
    this.tabButtons = new Map(TABS.map((name) => [name, this.tabButton(name, name === available)]));
    const tabList = el(
      "div",
      {
        class: "tabs",
        role: "tablist",
        "aria-label": "Message parts",
        onkeydown: (event) => this.tabKeys(event),
      },
      [...this.tabButtons.values()],
    );
    this.panel = el("div", { class: "tab-panel", id: "tab-panel", role: "tabpanel", tabindex: "-1" });
    this.tagsNode = el("div", { class: "tag-editor" });
    setChildren(
      this.pane,
      this.toolbar(message),
      el(
        "header",
        { class: "message-header" },
        el("h1", { class: "message-subject", text: message.Subject || "(no subject)" }),
        this.addressTable(message),
        this.tagsNode,
      ),
      tabList,
      this.panel,
    );
    this.renderTags();
    this.selectTab(available, false);
  }

  tabButton(name, selected) {
    const count = this.tabCount(name);
    return el(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${name}`,
        "aria-controls": "tab-panel",
        "aria-selected": String(selected),
        tabindex: selected ? "0" : "-1",
        class: "tab",
        onclick: () => this.selectTab(name, true),
      },
      name,
      count > 0 &&
        el("span", { class: name === "Warnings" ? "tab-count warn" : "tab-count", text: String(count) }),
    );
  }

  availableTab(wanted) {
    if (wanted === "HTML" && !this.message.HTML) return "Text";
    return TABS.includes(wanted) ? wanted : "HTML";
  }

  tabCount(name) {
    const message = this.message;
    if (name === "Attachments") return (message.Attachments?.length || 0) + (message.Inline?.length || 0);
    if (name === "Warnings") return message.Warnings?.length || 0;
    return -1;
  }

  tabKeys(event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    event.preventDefault();
    event.stopPropagation();
    const index = TABS.indexOf(this.currentTab) + (event.key === "ArrowRight" ? 1 : -1);
    const name = TABS[(index + TABS.length) % TABS.length];
    this.selectTab(name, true);
    this.tabButtons.get(name).focus();
  }

  selectTab(name, remember) {
    this.currentTab = name;
    if (remember) {
      this.tab = name;
      localStorage.setItem(TAB_KEY, name);
    }
    for (const [tab, button] of this.tabButtons) {
      const selected = tab === name;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
    this.panel.setAttribute("aria-labelledby", `tab-${name}`);
    this.panel.dataset.tab = name;
    const content = this.panelContent(name);
    if (content instanceof Promise) {
      setChildren(this.panel, el("p", { class: "empty-note", text: "Loading…" }));
      const token = this.token;
      content.then(
        (node) => token === this.token && this.currentTab === name && setChildren(this.panel, node),
        (error) =>
          token === this.token &&
          setChildren(this.panel, el("p", { class: "empty-note", role: "alert", text: `Could not load: ${error.message}` })),
      );
    } else {
      setChildren(this.panel, content);
    }
  }

  /** The content of a tab: a node, or a promise of one for panels fetched on demand. */
  panelContent(name) {
    const message = this.message;
    const id = message.ID;
    const lazy = (load) => {
      if (!this.loads.has(name)) this.loads.set(name, load());
      return this.loads.get(name);
    };
    switch (name) {
      case "HTML":
        return message.HTML ? this.htmlPanel() : emptyNote("This message has no HTML part.");
      case "Text":
        return textPanel(message.Text);
      case "Headers":
        return lazy(() => api.headers(id).then(headersPanel));
      case "Raw":
        return lazy(() => api.raw(id).then((raw) => rawPanel(id, raw)));
      case "MIME":
        return lazy(() => api.mime(id).then((tree) => mimePanel(id, tree)));
      case "Attachments":
        return attachmentsPanel(message);
      case "Envelope":
        return envelopePanel(message.Envelope);
      case "Compatibility":
        if (!message.HTML) return emptyNote("This message has no HTML part to check.");
        return lazy(() => checkPanel(() => api.htmlCheck(id), compatibilityPanel));
      case "Links":
        return linksPanel(id);
      case "Spam":
        return lazy(() => checkPanel(() => api.spamCheck(id), spamPanel));
      case "Auth":
        return lazy(() => checkPanel(() => api.authCheck(id), authPanel));
      case "Deliverability":
        return lazy(() => checkPanel(() => api.deliverability(id), deliverabilityPanel));
      default:
        return warningsPanel(message.Warnings);
    }
  }

  // ---- parts of the view --------------------------------------------------------------

  toolbar(message) {
    const iconButton = (label, title, path, onclick, extraClass = "") =>
      el(
        "button",
        { type: "button", class: `icon-button ${extraClass}`, "aria-label": label, title, onclick },
        icon(path),
      );
    const navigation = [
      iconButton("Back to inbox", "Back to inbox (Esc)", ICONS.back, () => this.actions.back(), "back-button"),
      iconButton("Previous message", "Previous message (k)", ICONS.up, () => this.actions.move(-1)),
      iconButton("Next message", "Next message (j)", ICONS.down, () => this.actions.move(1)),
    ];
    this.readButton = null;
    const bar = el(
      "div",
      { class: "message-toolbar", role: "toolbar", "aria-label": "Message actions" },
      navigation,
      el("span", { class: "spacer" }),
      message && this.messageActions(message),
    );
    this.renderReadButton();
    return bar;
  }

  messageActions(message) {
    const id = message.ID;
    const button = (label, onclick, props = {}) =>
      el("button", { type: "button", onclick, ...props }, label);
    this.readButton = button("", () => this.toggleRead());
    return [
      this.readButton,
      this.actions.relayEnabled() && button("Release", () => this.actions.release(message)),
      button("Copy link", () => this.actions.copyLink(id)),
      el("a", {
        class: "button-link",
        href: url(messagePath(id, "/raw"), { dl: 1 }),
        download: `${id}.eml`,
        text: "Download .eml",
      }),
      button("Delete", () => this.actions.remove(id), {
        class: "danger",
        "aria-label": "Delete message",
        title: "Delete (Del)",
      }),
    ];
  }

  renderReadButton() {
    if (!this.readButton) return;
    const label = this.read ? "Mark unread" : "Mark read";
    this.readButton.textContent = label;
    this.readButton.setAttribute("aria-label", label);
  }

  async toggleRead() {
    const id = this.message.ID;
    const read = !this.read;
    try {
      await api.setRead([id], read);
    } catch (error) {
      this.actions.notify(`Could not change read state: ${error.message}`);
      return;
    }
    this.actions.readChanged(id, read);
    this.updated({ ID: id, Read: read });
  }

  addressTable(message) {
    const rows = [
      ["From", message.From ? addressText(message.From) : ""],
      ["To", addressList(message.To)],
      ["Cc", addressList(message.Cc)],
      ["Bcc", addressList(message.Bcc)],
      ["Reply-To", addressList(message.ReplyTo)],
      ["Date", message.Date ? exactTime(message.Date) : ""],
      ["Size", formatSize(message.Size)],
    ].filter(([, value]) => value);
    return el(
      "dl",
      { class: "address-table" },
      rows.map(([name, value]) => [el("dt", { text: name }), el("dd", { text: value })]),
    );
  }

  renderTags() {
    const tags = this.message.Tags || [];
    const input = el("input", {
      type: "text",
      class: "tag-input",
      "aria-label": "Add tag",
      placeholder: "Add tag…",
      autocomplete: "off",
      onkeydown: (event) => {
        if (event.key !== "Enter") return;
        event.preventDefault();
        const tag = event.target.value.trim();
        if (tag) this.setTags([...tags, tag]);
      },
    });
    setChildren(
      this.tagsNode,
      el("span", { class: "muted", text: "Tags" }),
      tags.map((tag) =>
        el(
          "span",
          { class: "tag" },
          tag,
          el("button", {
            type: "button",
            class: "tag-remove",
            "aria-label": `Remove tag ${tag}`,
            text: "×",
            onclick: () => this.setTags(tags.filter((t) => t !== tag)),
          }),
        ),
      ),
      input,
    );
  }

  async setTags(tags) {
    try {
      await api.setTags([this.message.ID], tags);
    } catch (error) {
      this.actions.notify(`Could not set tags: ${error.message}`);
    }
    // The `update` event brings the cleaned tags back; the input keeps focus for the next one.
    this.tagsNode.querySelector("input")?.focus();
  }

  htmlPanel() {
    const id = this.message.ID;
    const hasRemote = REMOTE_CONTENT.test(this.message.HTML);
    const frame = el("iframe", {
      class: "html-frame",
      title: "HTML body",
      sandbox: "allow-popups allow-popups-to-escape-sandbox",
      referrerpolicy: "no-referrer",
      src: this.viewUrl(id),
    });
    const wrap = el("div", { class: "frame-wrap" }, frame);
    const widthButtons = Object.keys(PREVIEW_WIDTHS).map((name) =>
      el("button", {
        type: "button",
        "aria-label": `${name} width`,
        "aria-pressed": String(name === this.previewWidth),
        text: name,
        onclick: () => {
          this.previewWidth = name;
          localStorage.setItem(WIDTH_KEY, name);
          for (const b of widthButtons) b.setAttribute("aria-pressed", String(b.textContent === name));
          applyWidth();
        },
      }),
    );
    const applyWidth = () => {
      frame.style.width = PREVIEW_WIDTHS[this.previewWidth] || "100%";
      wrap.classList.toggle("framed", this.previewWidth !== "Desktop");
    };
    applyWidth();
    const remoteButton =
      hasRemote &&
      el("button", {
        type: "button",
        text: this.remoteImages ? "Remote images loaded" : "Load remote images",
        disabled: this.remoteImages,
        onclick: (event) => {
          this.remoteImages = true;
          frame.src = this.viewUrl(id);
          event.target.textContent = "Remote images loaded";
          event.target.disabled = true;
        },
      });
    return el(
      "div",
      { class: "html-panel" },
      el(
        "div",
        { class: "html-toolbar" },
        el("div", { class: "segmented", role: "group", "aria-label": "Preview width" }, widthButtons),
        hasRemote && !this.remoteImages && el("span", { class: "muted", text: "Remote images are blocked." }),
        remoteButton,
      ),
      wrap,
    );
  }

  viewUrl(id) {
    return url(`view/${encodeURIComponent(id)}.html`, { embed: 1, remote: this.remoteImages ? 1 : undefined });
  }
}
