// The tag bar above the list: one button per tag known in the view, each a search for its tag.

import { el, setChildren } from "./dom.js";

/** Show `tags` in `container`. Redrawn only when the tags change, so that a click is never lost
 * to a button replaced by an identical one mid-click. */
export function renderTagBar(container, tags, onTag) {
  container.hidden = tags.length === 0;
  const shown = JSON.stringify(tags);
  if (container.dataset.tags === shown) return;
  container.dataset.tags = shown;
  setChildren(
    container,
    tags.map((tag) =>
      el("button", {
        type: "button",
        class: "tag tag-button",
        text: tag,
        "aria-label": `Show messages tagged ${tag}`,
        onclick: () => onTag(tag),
      }),
    ),
  );
}
