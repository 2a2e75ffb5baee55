// The server's clock on a page, for kinds that count down to a deadline the server set
// (epoch ms on the server's clock, e.g. when a round ends): the pages count down against
// it, not against the device's own, which may be minutes off.

/**
 * The server's clock as this page knows it: every `welcome` carries `server_time` and
 * every server message its `ts` (both epoch ms, stamped when the server sent them), so
 * `server - local` is known to within the message's travel time. The smallest offset
 * seen lately wins (a message that took long to arrive makes the server look behind).
 */
export class ServerClock {
  constructor() {
    this.offset = 0;
    this.known = false;
    this.seenAt = 0;
  }

  /** A server timestamp received just now (a welcome's `server_time`, a message's `ts`). */
  learn(serverMs) {
    if (typeof serverMs !== "number" || !Number.isFinite(serverMs)) return;
    const local = Date.now();
    const offset = serverMs - local;
    // A fresher welcome always counts (the device's clock may have been changed); a
    // message's ts only when it shows the server further ahead (less travel time).
    if (!this.known || offset > this.offset || local - this.seenAt > 60000) {
      this.offset = offset;
      this.known = true;
      this.seenAt = local;
    }
  }

  now() {
    return Date.now() + this.offset;
  }

  /** Milliseconds left until `endsAt` (server clock), never below 0. */
  left(endsAt) {
    if (typeof endsAt !== "number") return 0;
    return Math.max(0, endsAt - this.now());
  }
}

/** "12:34" (or "1:02:03" past an hour) for `ms` left, rounded up to the second. */
export function clockText(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}
