/** The live feed: WebSocket messages folded into per-platform state, and a connection that
 * reconnects with backoff and resumes from the last change id it saw. */

import type { ChangeMessage, LiveGame, LiveMessage, LivePlatform } from "./types";

/** The dashboard's live state: the snapshot's platforms, then folded changes. */
export type LiveState = { position: string | null; platforms: Record<string, LivePlatform> };
export type Status = "connecting" | "live" | "reconnecting";

export const emptyState: LiveState = { position: null, platforms: {} };

/** Fold one message into the state (pure: returns a new state). */
export function applyMessage(state: LiveState, message: LiveMessage, keep = 50): LiveState {
  if (message.type === "snapshot") {
    return { position: message.position, platforms: message.platforms };
  }
  if (message.type !== "changes") return state;
  return message.changes.reduce((folded, change) => applyChange(folded, change, keep), state);
}

/** Fold one change into the state. Game "*" is a platform total. */
function applyChange(state: LiveState, message: ChangeMessage, keep: number): LiveState {
  const before: LivePlatform = state.platforms[message.platform]
    ?? { total: null, games_live: null, observed_at: null, poll_id: null, games: [] };
  let platform: LivePlatform;
  if (message.game === "*") {
    platform = { ...before, total: message.value, observed_at: message.observed_at };
  } else {
    const others = before.games.filter((g) => g.game !== message.game);
    const games = message.value > 0 ? [...others, gameOf(message)] : others;
    games.sort((a, b) => (b.value ?? 0) - (a.value ?? 0) || a.game.localeCompare(b.game));
    platform = { ...before, games: games.slice(0, keep) };
  }
  return { position: message.id, platforms: { ...state.platforms, [message.platform]: platform } };
}

/** A game's line from its change (a change carries its value, not the viewers, channels and players behind it). */
function gameOf(change: ChangeMessage): LiveGame {
  return { game: change.game, name: change.name, value: change.value, change: change.change, viewers: null,
           channels: null, players: null, observed_at: change.observed_at, poll_id: change.poll_id,
           is_game: change.is_game ?? true, top_channels: change.top_channels ?? null };
}

/** Delay before reconnect attempt `n` (0-based): exponential, capped, with jitter from `random`. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** attempt);
  return Math.round(base / 2 + random() * (base / 2));
}

export function liveUrl(location: { protocol: string; host: string }, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live${query ? `?${query}` : ""}`;
}

export class LiveConnection {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private lastId: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly params: Record<string, string>,
    private readonly onMessage: (message: LiveMessage) => void,
    private readonly onStatus: (status: Status) => void,
  ) {}

  open(): void {
    this.closed = false;
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    const params = this.lastId ? { ...this.params, last_id: this.lastId } : this.params;
    const socket = new WebSocket(liveUrl(window.location, params));
    this.socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string) as LiveMessage;
      if (message.type === "snapshot") this.lastId = message.position;
      if (message.type === "changes") this.lastId = message.changes[message.changes.length - 1].id;
      this.attempt = 0;
      this.onStatus("live");
      this.onMessage(message);
    };
    socket.onclose = () => {
      if (this.closed) return;
      this.onStatus("reconnecting");
      this.timer = setTimeout(() => this.open(), backoff(this.attempt++));
    };
    socket.onerror = () => socket.close();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close();
  }
}
