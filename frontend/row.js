// One row of the message list, built from a message summary, and the signature that tells
// whether a row on screen still shows what it should (the grid keeps such a row as it is). They
// live together so that nothing a row shows can be left out of its signature. Message data only
// becomes text and attribute values, through el().

import { el, icon, ICONS } from "./dom.js";
import { addressShort, exactTime, formatSize, plural, relativeTime } from "./format.js";

/**
 * What the row of `summary` at row `index` shows, as one string; `state` is the selection's
 * ({checked, selected, open}) and `now` the time relative times are counted from.
 */
export function rowSignature(summary, index, state, now) {
  if (!summary) return `placeholder:${index}`;
  return [
    summary.ID,
    summary.Read,
    (summary.Tags || []).join("\u0000"),
    state.checked,
    state.selected,
    state.open,
    relativeTime(summary.Created, now),
  ].join("|");
}

/**
 * The row of `summary` at row `index`. `actions.check(id, checked)` answers its checkbox,
 * `actions.open(id, index)` a click on the row.
 */
export function messageRow(summary, index, state, now, actions) {
  const from = addressShort(summary.From) || "(no sender)";
  const subject = summary.Subject || "(no subject)";
  const recipients = [...(summary.To || []), ...(summary.Cc || [])].map(addressShort).join(", ");
  const unread = !summary.Read;
  const classes = ["row"];
  if (unread) classes.push("unread");
  if (state.selected) classes.push("selected");
  if (state.open) classes.push("open");
  const checkbox = el("input", {
    type: "checkbox",
    checked: state.checked,
    "aria-label": `Select message: ${subject}`,
    tabindex: "-1",
    onclick: (event) => {
      event.stopPropagation();
      actions.check(summary.ID, event.target.checked);
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
      "aria-selected": state.selected ? "true" : "false",
      "aria-label": `${unread ? "Unread, " : ""}${from}: ${subject}`,
      dataset: { id: summary.ID },
      onclick: () => actions.open(summary.ID, index),
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

/** The row shown while its page is being fetched. */
export function placeholderRow(index) {
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
