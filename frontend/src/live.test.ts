import { describe, expect, it } from "vitest";
import { applyMessage, backoff, emptyState, liveUrl } from "./live";
import type { ChangeMessage, LiveGame, LiveMessage } from "./types";

const item = (id: string, game: string, value: number, is_game: boolean | null = game === "*" ? null : true): ChangeMessage => ({
  type: "change", id, platform: "twitch", game, name: game.toUpperCase(), value, change: 1,
  observed_at: "2026-11-26T12:00:00Z", poll_id: "p", is_game, top_channels: null,
});
/** A message of one change. */
const change = (...args: Parameters<typeof item>): LiveMessage => ({ type: "changes", changes: [item(...args)] });

const line = (game: string, value: number): LiveGame => ({
  game, name: game.toUpperCase(), value, change: 0, viewers: value, channels: 1, players: 0, observed_at: "t", poll_id: "p",
  is_game: true, top_channels: null,
});

describe("applyMessage", () => {
  it("starts from a snapshot and keeps games ordered by value", () => {
    let state = applyMessage(emptyState, {
      type: "snapshot", position: "5-1",
      platforms: { twitch: { total: 30, games_live: 2, observed_at: "t", poll_id: "p", games: [
        line("a", 20), line("b", 10)] } },
    });
    state = applyMessage(state, change("6-1", "b", 25));
    state = applyMessage(state, change("6-2", "*", 45));
    expect(state.position).toBe("6-2");
    expect(state.platforms.twitch.games.map((g) => [g.game, g.value])).toEqual([["b", 25], ["a", 20]]);
    expect(state.platforms.twitch.total).toBe(45);
  });
  it("folds a poll's changes, which come in one message, in order", () => {
    const state = applyMessage(emptyState, { type: "changes", changes: [item("7-1", "a", 5), item("7-2", "b", 9), item("7-3", "*", 14)] });
    expect(state.position).toBe("7-3");
    expect(state.platforms.twitch.games.map((g) => [g.game, g.value])).toEqual([["b", 9], ["a", 5]]);
    expect(state.platforms.twitch.total).toBe(14);
  });
  it("keeps whether a category is a game, as its change says", () => {
    const state = applyMessage(emptyState, change("1-1", "just chatting", 5, false));
    expect(state.platforms.twitch.games.map((g) => [g.game, g.is_game])).toEqual([["just chatting", false]]);
  });
  it("drops a game whose value falls to zero and ignores heartbeats", () => {
    let state = applyMessage(emptyState, change("1-1", "a", 5));
    state = applyMessage(state, change("1-2", "a", 0));
    expect(state.platforms.twitch.games).toEqual([]);
    expect(applyMessage(state, { type: "heartbeat", position: "1-2" })).toBe(state);
  });
});

describe("reconnecting", () => {
  it("backs off exponentially with jitter, capped at 10 s", () => {
    expect(backoff(0, () => 0)).toBe(250);
    expect(backoff(0, () => 1)).toBe(500);
    expect(backoff(3, () => 1)).toBe(4000);
    expect(backoff(20, () => 1)).toBe(10_000);
  });
  it("builds the feed URL for the page's own host", () => {
    expect(liveUrl({ protocol: "https:", host: "x.io" }, { platforms: "twitch" })).toBe("wss://x.io/ws/live?platforms=twitch");
    expect(liveUrl({ protocol: "http:", host: "127.0.0.1:8000" }, {})).toBe("ws://127.0.0.1:8000/ws/live");
  });
});
