/**
 * @module e2e/web/support/page-instruments
 * Init scripts the browser tests install before any page script runs (they are serialised into
 * the page, so each is self-contained).
 */

/** Counts live timers and keeps every WebSocket the page opens (installed before any page script). */
export function instrumentTimersAndSockets(): void {
  const w = window as any;
  const live = new Set<number>();
  const { setTimeout: st, clearTimeout: ct, setInterval: si, clearInterval: ci } = window;
  w.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const id: number = st(() => {
      live.delete(id);
      fn(...args);
    }, ms);
    live.add(id);
    return id;
  };
  w.clearTimeout = (id: number) => {
    live.delete(id);
    ct(id);
  };
  w.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const id: number = si(fn, ms, ...args);
    live.add(id);
    return id;
  };
  w.clearInterval = (id: number) => {
    live.delete(id);
    ci(id);
  };
  w.__liveTimers = live;
  const sockets: WebSocket[] = [];
  const Native = window.WebSocket;
  w.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  };
  w.__sockets = sockets;
}

