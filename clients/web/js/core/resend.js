// Sending what must count once (an attendee's answer, whatever the kind): it is kept
// until the server acknowledges it and sent again with the same client-made id (`vote_id`,
// `answer_id`) after a reconnect, a timeout or `unavailable`, so it never counts twice
// (docs/protocol.md, Conventions). What waits, where it is kept and what each outcome
// shows is the kind's; the sending, the retries and their backoff are shared here.

import { call } from "./connection.js";

/** Errors after which the same message goes again: the server did not take it, or
 *  cannot have said so (`offline`: only once the connection is back). */
export const RETRYABLE = new Set(["unavailable", "timeout", "offline", "rate_limited"]);

/** The wait before retry number `attempts` (1, 2, ...): `first` ms, doubled each time up
 *  to `most`; when rate limited, what the server asks for (`retry_after_ms`). */
export function retryDelay(error, attempts, { first = 1000, most = 15000 } = {}) {
  if (error.code === "rate_limited" && error.retry_after_ms) return error.retry_after_ms;
  return Math.min(most, first * 2 ** Math.min(attempts - 1, 16));
}

/**
 * One message at a time, sent as `event` until it is acked or refused for good.
 * `hooks.pending()` is the message waiting (null: none), kept by the kind; the other
 * hooks say what an outcome means on the page:
 *   acked(message, ack)               the server has it
 *   refused(message, error)           refused for good: nothing was stored
 *   retrying(message, error, seconds) sent again in `seconds`
 *   notConnected()                    not sent: `flush()` after the next welcome
 *   offline()                         the connection dropped on the way: likewise
 *   superseded()                      (optional) before a retry: true when the kind has
 *                                     moved on to a newer message instead
 * `options`: the ack's timeout, the backoff (`first`, `most`) and its random spread.
 */
export class Resender {
  constructor(ctx, event, hooks, { timeoutMs = 8000, first = 1000, most = 15000, jitterMs = 300 } = {}) {
    Object.assign(this, { ctx, event, hooks, timeoutMs, first, most, jitterMs });
    this.inFlight = false;
    this.attempts = 0;
    this.timer = null;
  }

  /** A new message replaces the one waiting: its retries start afresh. */
  restart() {
    this.cancel();
    this.attempts = 0;
  }

  /** No retry pending (the event ended, or someone else's turn on this device). */
  cancel() {
    clearTimeout(this.timer);
  }

  /** After a (re)connect: send what waits now, with its original id. */
  flush() {
    if (this.hooks.pending() && !this.inFlight) {
      this.cancel();
      this.send();
    }
  }

  async send() {
    const message = this.hooks.pending();
    if (!message || this.inFlight) return;
    const socket = this.ctx.socket;
    if (!socket || !socket.connected) return this.hooks.notConnected();
    this.inFlight = true;
    const ack = await call(socket, this.event, message, this.timeoutMs);
    this.inFlight = false;
    if (this.hooks.pending() !== message) return; // left the event meanwhile
    if (ack.ok) {
      this.attempts = 0;
      return this.hooks.acked(message, ack);
    }
    const error = ack.error || {};
    if (!RETRYABLE.has(error.code)) {
      this.attempts = 0;
      return this.hooks.refused(message, error);
    }
    if (this.hooks.superseded && this.hooks.superseded()) return; // the newer one goes instead
    if (error.code === "offline") return this.hooks.offline();
    this.attempts += 1;
    const delay = retryDelay(error, this.attempts, this);
    this.hooks.retrying(message, error, Math.max(1, Math.ceil(delay / 1000)));
    this.timer = setTimeout(() => this.send(), delay + Math.random() * this.jitterMs);
  }
}
