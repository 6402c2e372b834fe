// The live change feed (/api/events): Mailpit's frames {"Type": …, "Data": …}. Reconnects by
// itself with a growing delay, so a restarted server is picked up without a reload.

import { eventsUrl } from "./api.js";

const MAX_DELAY_MS = 8000;

/**
 * `onEvent(type, data)` gets every frame; `onState("open" | "closed")` tells when the feed is
 * up or down. On every "open" the caller must reload what it shows: frames sent while the
 * socket was down (or not yet up, the first time) are lost.
 */
export function connectEvents(onEvent, onState) {
  let delay = 500;
  let socket = null;

  function open() {
    socket = new WebSocket(eventsUrl());
    socket.addEventListener("open", () => {
      delay = 500;
      onState("open");
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame.Type === "string") onEvent(frame.Type, frame.Data);
    });
    socket.addEventListener("close", () => {
      onState("closed");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    });
  }

  open();
}
