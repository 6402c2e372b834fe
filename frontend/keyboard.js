// Keyboard shortcuts (the `?` dialog lists them). Keys typed into a field are left alone, and
// arrows/Enter act on the list only when the focus is not on another control.

const FIELD = "input, textarea, select, [contenteditable]";

export function bindKeys(commands) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    const target = event.target;
    if (target instanceof Element && target.closest(FIELD)) {
      if (event.key === "Escape" && target.type === "search") commands.leaveSearch();
      return;
    }
    const onList = target === document.body || target.closest?.("[role=grid]");
    const command = commandFor(event.key, onList);
    if (!command) return;
    event.preventDefault();
    commands[command]();
  });
}

function commandFor(key, onList) {
  switch (key) {
    case "j":
      return "next";
    case "k":
      return "previous";
    case "ArrowDown":
      return onList ? "next" : null;
    case "ArrowUp":
      return onList ? "previous" : null;
    case "Enter":
    case "o":
      return onList || key === "o" ? "open" : null;
    case "Escape":
      return "back";
    case "x":
      return "toggleCheck";
    case "u":
      return "toggleRead";
    case "Delete":
    case "#":
      return "remove";
    case "/":
      return "search";
    case "?":
      return "help";
    default:
      return null;
  }
}
