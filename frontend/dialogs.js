// Modal dialogs (native <dialog>): confirmation, release, SMTP errors; and the toast.

import { $, el, setChildren } from "./dom.js";
import { exactTime } from "./format.js";

/** Ask before something that cannot be undone; resolves to true when confirmed. */
export function confirmAction(title, text, okLabel) {
  const dialog = $("confirm-dialog");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  $("confirm-cancel").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

/**
 * Ask for the recipients to relay a message to, then call `release(addresses)`; a failure is
 * shown in the dialog, which stays open.
 */
export function askRelease(defaultTo, relayDescription, release) {
  const dialog = $("release-dialog");
  const input = $("release-to");
  const error = $("release-error");
  $("release-relay").textContent = relayDescription;
  input.value = defaultTo.join(", ");
  error.textContent = "";
  dialog.showModal();
  input.focus();
  $("release-submit").onclick = async (event) => {
    event.preventDefault();
    const addresses = input.value.split(",").map((a) => a.trim()).filter(Boolean);
    if (addresses.length === 0) {
      error.textContent = "Enter at least one address.";
      return;
    }
    try {
      await release(addresses);
      dialog.close("released");
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
}

export function openDialog(id) {
  const dialog = $(id);
  if (!dialog.open) dialog.showModal();
}

/** The recent SMTP errors (from `error` events), newest first, and the header badge. */
export class SmtpErrors {
  constructor(limit = 200) {
    this.limit = limit;
    this.entries = [];
    this.unseen = 0;
    $("errors-button").addEventListener("click", () => this.open());
    $("errors-clear").addEventListener("click", () => {
      this.entries = [];
      this.render();
    });
  }

  add(error) {
    this.entries.unshift({ ...error, time: new Date().toISOString() });
    this.entries.length = Math.min(this.entries.length, this.limit);
    if (!$("errors-dialog").open) this.unseen += 1;
    this.render();
  }

  open() {
    this.unseen = 0;
    this.render();
    openDialog("errors-dialog");
  }

  render() {
    const badge = $("errors-count");
    badge.hidden = this.unseen === 0;
    badge.textContent = String(this.unseen);
    $("errors-button").setAttribute(
      "aria-label",
      this.unseen > 0 ? `SMTP errors (${this.unseen} new)` : "SMTP errors",
    );
    $("errors-empty").hidden = this.entries.length > 0;
    $("errors-table").hidden = this.entries.length === 0;
    setChildren(
      $("errors-body"),
      this.entries.map((entry) =>
        el(
          "tr",
          {},
          el("td", { class: "nowrap", text: exactTime(entry.time) }),
          el("td", { class: `level level-${String(entry.Level).toLowerCase()}`, text: entry.Level || "" }),
          el("td", { class: "nowrap", text: entry.IP || "" }),
          el("td", { text: entry.Message || "" }),
        ),
      ),
    );
  }
}

let toastTimer = null;

export function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    node.hidden = true;
  }, 3000);
}
