// The live frames that arrive while list requests are in flight. A list answer is a snapshot
// taken at some moment after its request was sent, so the frames received since then may or may
// not be in it. Replaying them in order on top of the answer makes it current whatever that moment
// was; the inbox makes each replayed change safe to apply twice (a read state or tags are set, not
// toggled; a `new` the snapshot already counts, or lists, is skipped).

const MAX_FRAMES = 2000; // beyond this the answer is asked for again rather than replayed

export class FrameJournal {
  constructor() {
    this.frames = []; // {number, type, data}, oldest first
    this.seen = 0; // frames recorded so far (the number of the latest)
    this.inFlight = 0; // requests whose answer is still to be replayed over
    this.dropped = 0; // the number of the last frame dropped for room
  }

  /** A request is being sent: returns its mark, for `since`. Pair with `end`. */
  begin() {
    this.inFlight += 1;
    return this.seen;
  }

  /** The request begun is over (answered, failed or outdated). */
  end() {
    this.inFlight -= 1;
    if (this.inFlight === 0) this.frames = []; // nobody can need them
  }

  record(type, data) {
    this.seen += 1;
    if (this.inFlight === 0) return;
    this.frames.push({ number: this.seen, type, data });
    if (this.frames.length > MAX_FRAMES) this.dropped = this.frames.shift().number;
  }

  /** The frames received after `mark`, or null when some of them were dropped. */
  since(mark) {
    if (mark < this.dropped) return null;
    return this.frames.filter((frame) => frame.number > mark);
  }
}
