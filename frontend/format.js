// Turning API values into the short strings the list and the message view show.

const exactFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "medium",
});
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const yearFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** "Tue, 4 Jun 2024, 10:31:02" — for tooltips and the message header. */
export function exactTime(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : exactFormat.format(date);
}

/** "just now", "5 min", "3 h", "Jun 4", "Jun 4, 2021". */
export function relativeTime(value, now = Date.now()) {
  const date = new Date(value);
  const seconds = (now - date.getTime()) / 1000;
  if (Number.isNaN(seconds)) return "";
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h`;
  if (date.getFullYear() === new Date(now).getFullYear()) return dayFormat.format(date);
  return yearFormat.format(date);
}

/** 1234 → "1.2 kB" (decimal units, like most mail clients). */
export function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB"];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** An `{Name, Address}` as a person would write it. */
export function addressText(address) {
  if (!address) return "";
  const { Name: name, Address: email } = address;
  if (name && email) return `${name} <${email}>`;
  return name || email || "";
}

/** Short form for the list: the name if there is one, else the address. */
export function addressShort(address) {
  if (!address) return "";
  return address.Name || address.Address || "";
}

export const addressList = (addresses) => (addresses || []).map(addressText).join(", ");

const encodedWord = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/** Decode RFC 2047 encoded-words ("=?utf-8?q?Gr=C3=BC=C3=9Fe?=") in a raw header value. */
export function decodeHeader(raw) {
  // Whitespace between two adjacent encoded-words is not part of the text (RFC 2047 §6.2).
  const joined = raw.replace(/(\?=)\s+(=\?)/g, "$1$2");
  return joined.replace(encodedWord, (word, charset, encoding, text) => {
    try {
      const bytes = encoding.toUpperCase() === "B" ? base64Bytes(text) : qBytes(text);
      return new TextDecoder(charset.split("*")[0], { fatal: false }).decode(bytes);
    } catch {
      return word;
    }
  });
}

function base64Bytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function qBytes(text) {
  const bytes = [];
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === "_") bytes.push(0x20);
    else if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0) & 0xff);
  }
  return new Uint8Array(bytes);
}

/** "1 message", "2 messages", "2 matches". */
export const plural = (count, word, pluralWord = `${word}s`) =>
  `${count.toLocaleString()} ${count === 1 ? word : pluralWord}`;
