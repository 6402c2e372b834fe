// Light and dark themes: the system's choice by default, or the user's via the toggle.

const KEY = "mailsink.theme";
const ORDER = ["system", "light", "dark"];

export function initTheme(button) {
  let theme = localStorage.getItem(KEY);
  if (!ORDER.includes(theme)) theme = "system";
  const apply = () => {
    if (theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    const label = `Theme: ${theme} (switch)`;
    button.setAttribute("aria-label", label);
    button.title = label;
  };
  button.addEventListener("click", () => {
    theme = ORDER[(ORDER.indexOf(theme) + 1) % ORDER.length];
    localStorage.setItem(KEY, theme);
    apply();
  });
  apply();
}
