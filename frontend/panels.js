// The message view's detail panels: each turns one API answer into DOM, as text only.

import { messagePath, url } from "./api.js";
import { el } from "./dom.js";
import { decodeHeader, exactTime, formatSize } from "./format.js";

const RAW_DISPLAY_LIMIT = 2_000_000; // characters; the download always has everything
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"')\]]+/g;

/** The text body, with http(s) URLs as links that open in a new tab. */
export function textPanel(text) {
  if (!text) return emptyNote("This message has no text part.");
  const pre = el("pre", { class: "body-text" });
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    pre.append(text.slice(last, match.index), externalLink(match[0], match[0]));
    last = match.index + match[0].length;
  }
  pre.append(text.slice(last));
  return pre;
}

export function externalLink(href, label) {
  return el("a", { href, text: label, target: "_blank", rel: "noopener noreferrer" });
}

/** Every header as received: names in order, repeated headers kept, decoded and raw values. */
export function headersPanel(headers) {
  const rows = [];
  for (const [name, values] of Object.entries(headers)) {
    for (const raw of values) {
      const decoded = decodeHeader(raw);
      rows.push(
        el(
          "tr",
          {},
          el("th", { scope: "row", text: name }),
          el(
            "td",
            {},
            el("div", { class: "header-value", text: decoded }),
            decoded !== raw && el("div", { class: "header-raw", text: raw, title: "raw value" }),
          ),
        ),
      );
    }
  }
  return el(
    "table",
    { class: "data-table headers-table", "aria-label": "Headers" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Name" }), el("th", { scope: "col", text: "Value" }))),
    el("tbody", {}, rows),
  );
}

export function rawPanel(id, raw) {
  const truncated = raw.length > RAW_DISPLAY_LIMIT;
  return el(
    "div",
    { class: "raw-panel" },
    truncated &&
      el("p", {
        class: "notice",
        text: `Showing the first ${RAW_DISPLAY_LIMIT.toLocaleString()} characters; download the .eml for the rest.`,
      }),
    el("pre", {
      class: "raw-source",
      "aria-label": "Raw source",
      tabindex: "0",
      text: truncated ? raw.slice(0, RAW_DISPLAY_LIMIT) : raw,
    }),
  );
}

export function partUrl(id, partId) {
  return url(messagePath(id, `/part/${encodeURIComponent(partId)}`));
}

function downloadLink(id, partId, name, label = "Download") {
  return el("a", {
    class: "button-link",
    href: partUrl(id, partId),
    download: safeFileName(name || `part-${partId}`),
    "aria-label": `${label} ${name || `part ${partId}`}`,
    text: label,
  });
}

/** A suggested file name for a download: no path separators or control characters. */
function safeFileName(name) {
  return name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, "_").slice(0, 200) || "download";
}

/** The MIME tree as an indented table: PartID, type, details, size, download. */
export function mimePanel(id, root) {
  const rows = [];
  const visit = (part, depth) => {
    const children = part.Children || [];
    const details = [
      part.Charset && `charset ${part.Charset}`,
      part.TransferEncoding && part.TransferEncoding,
      part.Disposition && part.Disposition,
      part.FileName && `“${part.FileName}”`,
      part.ContentID && `<${part.ContentID}>`,
    ].filter(Boolean);
    const isLeaf = children.length === 0 && part.PartID !== "0";
    rows.push(
      el(
        "tr",
        { "aria-level": depth + 1 },
        el("td", { class: "part-id", text: part.PartID }),
        el(
          "td",
          { class: "part-type", style: { paddingLeft: `${0.6 + depth * 1.2}rem` } },
          el("code", { text: part.ContentType }),
        ),
        el("td", { class: "part-details", text: details.join(" · ") }),
        el("td", { class: "num", text: formatSize(part.Size) }),
        el("td", {}, isLeaf && downloadLink(id, part.PartID, part.FileName || "")),
      ),
    );
    children.forEach((child) => visit(child, depth + 1));
  };
  visit(root, 0);
  return el(
    "table",
    { class: "data-table mime-table", "aria-label": "MIME structure" },
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ["Part", "Type", "Details", "Size", "Download"].map((h) => el("th", { scope: "col", text: h })),
      ),
    ),
    el("tbody", {}, rows),
  );
}

/** Attachments and inline parts: thumbnail for images, name, type, size, download. */
export function attachmentsPanel(message) {
  const attachments = message.Attachments || [];
  const inline = message.Inline || [];
  if (attachments.length + inline.length === 0) return emptyNote("This message has no attachments.");
  return el(
    "div",
    { class: "attachments" },
    attachments.length > 0 && attachmentList("Attachments", message.ID, attachments),
    inline.length > 0 && attachmentList("Inline parts", message.ID, inline),
  );
}

function attachmentList(title, id, parts) {
  return el(
    "section",
    { "aria-label": title },
    el("h3", { text: title }),
    el(
      "ul",
      { class: "attachment-list" },
      parts.map((part) => {
        const name = part.FileName || part.ContentID || `part ${part.PartID}`;
        const isImage = /^image\/(png|jpe?g|gif|webp|bmp|avif)$/i.test(part.ContentType);
        return el(
          "li",
          { class: "attachment" },
          isImage
            ? el("img", { class: "thumb", src: partUrl(id, part.PartID), alt: "", loading: "lazy" })
            : el("span", { class: "thumb thumb-type", text: extension(name, part.ContentType) }),
          el(
            "div",
            { class: "attachment-info" },
            el("div", { class: "attachment-name", text: name, title: name }),
            el("div", { class: "muted", text: `${part.ContentType} · ${formatSize(part.Size)}` }),
          ),
          downloadLink(id, part.PartID, name),
        );
      }),
    ),
  );
}

function extension(name, contentType) {
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot + 1) : contentType.split("/")[1] || "file";
  return ext.slice(0, 4).toUpperCase();
}

/** MAIL FROM, RCPT TO and the SMTP session the message came in. */
export function envelopePanel(envelope) {
  if (!envelope) return emptyNote("No envelope was recorded for this message.");
  const params = (object) =>
    Object.entries(object || {})
      .map(([key, value]) => (value === "" || value === null ? key : `${key}=${value}`))
      .join(" ");
  const recipients = (envelope.RcptTo || []).map((rcpt) =>
    el(
      "li",
      {},
      el("span", { text: rcpt.Address || "<>" }),
      params(rcpt.Params) && el("span", { class: "muted", text: ` ${params(rcpt.Params)}` }),
    ),
  );
  const tls = envelope.TLS ? `${envelope.TLS.Version} · ${envelope.TLS.Cipher || ""}` : "no";
  const rows = [
    ["MAIL FROM", [envelope.MailFrom || "<>", params(envelope.MailFromParams) && el("span", { class: "muted", text: ` ${params(envelope.MailFromParams)}` })]],
    ["RCPT TO", el("ul", { class: "plain-list" }, recipients)],
    ["HELO / EHLO", envelope.Helo || "—"],
    ["Client", envelope.RemoteAddr || "—"],
    ["TLS", tls],
    ["AUTH user", envelope.Username || "—"],
    ["Received", envelope.Received ? exactTime(envelope.Received) : "—"],
    ["Mailbox", envelope.Mailbox || "default"],
  ];
  return definitionTable("Envelope", rows);
}

export function warningsPanel(warnings) {
  if (!warnings || warnings.length === 0) {
    return emptyNote("No warnings: a strict mail server would accept this message.");
  }
  return el(
    "div",
    {},
    el("p", {
      class: "muted",
      text: "mailsink accepted this message, but a strict mail server might refuse or alter it:",
    }),
    el("ul", { class: "warning-list", "aria-label": "Warnings" }, warnings.map((w) => el("li", { text: w }))),
  );
}

export function definitionTable(label, rows) {
  return el(
    "table",
    { class: "data-table definition-table", "aria-label": label },
    el(
      "tbody",
      {},
      rows.map(([name, value]) => el("tr", {}, el("th", { scope: "row", text: name }), el("td", {}, value))),
    ),
  );
}

export function emptyNote(text) {
  return el("p", { class: "empty-note", text });
}
