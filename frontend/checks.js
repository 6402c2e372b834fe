// The message checks' tabs: HTML compatibility, links, spam score, authentication and
// deliverability. Each panel starts with a score and lists the findings; everything from the
// message or a check result enters the page as text.

import { api } from "./api.js";
import { el } from "./dom.js";
import { definitionTable, emptyNote } from "./panels.js";

export const CHECK_TABS = ["Compatibility", "Links", "Spam", "Auth", "Deliverability"];

/** A score badge: `value` out of 100 (or spam points), coloured by how good it is. */
function scoreLine(label, value, grade, detail) {
  return el(
    "div",
    { class: "check-score" },
    el("span", { class: `score-badge score-${grade}`, "aria-label": label, text: value }),
    el("span", { class: "score-label", text: label }),
    detail && el("span", { class: "muted", text: detail }),
  );
}

const grade = (percent) => (percent >= 90 ? "good" : percent >= 60 ? "fair" : "poor");

/** Runs `load()` and shows its panel, or the server's reason when the check cannot run. */
export async function checkPanel(load, render) {
  try {
    return render(await load());
  } catch (error) {
    return el("p", { class: "notice check-off", text: error.message });
  }
}

export function compatibilityPanel(result) {
  const total = result.Total;
  const supported = Math.round(total.Supported);
  const header = scoreLine(
    "supported",
    `${supported}%`,
    grade(supported),
    `partial ${Math.round(total.Partial)}% · unsupported ${Math.round(total.Unsupported)}% · ${total.Nodes} elements`,
  );
  const stylesheets = (result.ExternalStylesheets || []).length > 0 &&
    el("p", {
      class: "notice",
      text: `External stylesheets (not loaded by most clients, not fetched here): ${result.ExternalStylesheets.join(", ")}`,
    });
  if (result.Warnings.length === 0) {
    return el("div", { class: "check-panel" }, header, stylesheets, emptyNote("Every feature this HTML uses is supported by all tested clients."));
  }
  const rows = result.Warnings.map((warning) => {
    const unsupported = warning.Results.filter((r) => r.Support === "no").map((r) => r.Name);
    const partial = warning.Results.filter((r) => r.Support === "partial").map((r) => r.Name);
    return el(
      "tr",
      {},
      el("th", { scope: "row" }, el("div", { text: warning.Title }), el("code", { class: "muted", text: warning.Slug })),
      el("td", { class: "num", text: `${Math.round(warning.Score.Supported)}%` }),
      el("td", { class: "num", text: String(warning.Score.Found) }),
      el(
        "td",
        { class: "client-list" },
        unsupported.length > 0 && el("div", { text: `Not supported: ${unsupported.join(", ")}` }),
        partial.length > 0 && el("div", { class: "muted", text: `Partial: ${partial.join(", ")}` }),
      ),
    );
  });
  return el(
    "div",
    { class: "check-panel" },
    header,
    stylesheets,
    el(
      "table",
      { class: "data-table check-table", "aria-label": "HTML compatibility" },
      el("thead", {}, el("tr", {}, ["Feature", "Supported", "Uses", "Clients"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows),
    ),
    el("p", { class: "muted small", text: `Data: caniemail.com, ${result.DataUpdated || "pinned copy"}` }),
  );
}

/** The link tab: nothing is requested until the user asks (the check sends HTTP requests). */
export function linksPanel(id) {
  const follow = el("input", { type: "checkbox", id: "link-follow" });
  const results = el("div", { class: "link-results" });
  const button = el("button", {
    type: "button",
    text: "Check links",
    onclick: async () => {
      button.disabled = true;
      results.replaceChildren(emptyNote("Checking…"));
      results.replaceChildren(await checkPanel(() => api.linkCheck(id, follow.checked), linkResults));
      button.disabled = false;
    },
  });
  return el(
    "div",
    { class: "check-panel" },
    el("div", { class: "check-actions" }, button, el("label", { for: "link-follow" }, follow, " follow redirects")),
    results,
  );
}

function linkResults(result) {
  const links = result.Links || [];
  if (links.length === 0) return emptyNote("This message has no http(s) links or images.");
  const ok = links.length - result.Errors;
  return el(
    "div",
    {},
    scoreLine("links answer", `${ok}/${links.length}`, result.Errors === 0 ? "good" : "poor", result.Errors ? `${result.Errors} failing` : ""),
    el(
      "table",
      { class: "data-table check-table", "aria-label": "Links" },
      el("thead", {}, el("tr", {}, ["Status", "URL"].map((h) => el("th", { scope: "col", text: h })))),
      el(
        "tbody",
        {},
        links.map((link) => {
          const failing = link.StatusCode === 0 || link.StatusCode >= 400;
          return el(
            "tr",
            { class: failing ? "failing" : "" },
            el("td", { class: "num", text: link.StatusCode ? `${link.StatusCode} ${link.Status}` : link.Status }),
            el("td", { class: "url-cell", text: link.URL }),
          );
        }),
      ),
    ),
  );
}

export function spamPanel(result) {
  if (result.Error) return el("p", { class: "notice", text: result.Error });
  const header = scoreLine(
    result.IsSpam ? "spam" : "not spam",
    String(result.Score),
    result.IsSpam ? "poor" : result.Score >= 2.5 ? "fair" : "good",
    "SpamAssassin score (5 or more is spam)",
  );
  const rules = result.Rules || [];
  return el(
    "div",
    { class: "check-panel" },
    header,
    rules.length === 0
      ? emptyNote("No rule fired.")
      : el(
          "table",
          { class: "data-table check-table", "aria-label": "SpamAssassin rules" },
          el("thead", {}, el("tr", {}, ["Score", "Rule", "Description"].map((h) => el("th", { scope: "col", text: h })))),
          el(
            "tbody",
            {},
            rules.map((rule) =>
              el("tr", {}, el("td", { class: "num", text: String(rule.Score) }), el("td", {}, el("code", { text: rule.Name })), el("td", { text: rule.Description })),
            ),
          ),
        ),
  );
}

const RESULT_GRADES = { pass: "good", none: "fair", neutral: "fair", softfail: "fair" };

function resultBadge(result) {
  return el("span", { class: `result-badge score-${RESULT_GRADES[result] || "poor"}`, text: result });
}

export function authPanel(result) {
  const all = [...result.DKIM.map((r) => ["DKIM", r]), ["SPF", result.SPF], ["DMARC", result.DMARC], ["ARC", result.ARC]];
  // ARC exists only on forwarded mail: its absence is not a shortcoming of the sender.
  const scored = all.filter(([method, r]) => method !== "ARC" || r.Result !== "none");
  const passed = scored.filter(([, r]) => r.Result === "pass").length;
  const rows = all.map(([method, r]) => {
    const properties = Object.entries(r.Properties || {})
      .filter(([, value]) => value)
      .map(([key, value]) => `${key}=${value}`)
      .join(" ");
    return [method, el("div", {}, resultBadge(r.Result), " ", el("span", { text: r.Reason }), properties && el("div", { class: "muted mono", text: properties }))];
  });
  return el(
    "div",
    { class: "check-panel" },
    scoreLine("passed", `${passed}/${scored.length}`, passed === scored.length ? "good" : result.DMARC.Result === "fail" ? "poor" : "fair"),
    definitionTable("Authentication results", rows),
    el("h3", { text: "Authentication-Results" }),
    el("pre", { class: "raw-source", text: result.AuthenticationResults }),
  );
}

export function deliverabilityPanel(result) {
  const findings = result.Findings || [];
  return el(
    "div",
    { class: "check-panel" },
    scoreLine("deliverability", `${result.Score}`, grade(result.Score), result.OneClick ? "one-click unsubscribe" : ""),
    findings.length === 0
      ? emptyNote("Nothing to improve: unsubscribe, Date and Message-ID are in order.")
      : el(
          "ul",
          { class: "finding-list", "aria-label": "Findings" },
          findings.map((f) => el("li", { class: `finding finding-${f.Severity}` }, el("span", { class: "finding-severity", text: f.Severity }), " ", el("span", { text: f.Text }))),
        ),
    (result.UnsubscribeLinks || []).length > 0 &&
      el("div", {}, el("h3", { text: "Unsubscribe links" }), el("ul", { class: "plain-list" }, result.UnsubscribeLinks.map((link) => el("li", { class: "mono", text: link })))),
  );
}
