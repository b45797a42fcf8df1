import { describe, expect, it } from "vitest";
import { appendLive, filterRankings, recentColumns, sortRankings, summarise, toColumns, type Point } from "./series";

const points: (Point & Record<string, unknown>)[] = [
  { bucket_start: "2026-11-26T00:00:00Z", gap: false, avg_viewers: 10, peak_viewers: 12, hours_watched: 0.8 },
  { bucket_start: "2026-11-26T00:05:00Z", gap: true, avg_viewers: null, peak_viewers: null, hours_watched: null },
  { bucket_start: "2026-11-26T00:10:00Z", gap: false, avg_viewers: 20, peak_viewers: 30, hours_watched: 1.7 },
];

describe("series", () => {
  it("keeps gaps as nulls so the chart draws a gap", () => {
    const [xs, ys] = toColumns(points, ["avg_viewers"]);
    expect(xs).toEqual([1795651200, 1795651500, 1795651800]);
    expect(ys).toEqual([10, null, 20]);
  });
  it("appends the live tail after the last bucket and replaces a value at the same time", () => {
    const columns = toColumns(points, ["avg_viewers", "avg_players"]);
    const later = appendLive(columns, 1795652000, 1, 25);
    expect(later[0].at(-1)).toBe(1795652000);
    expect(later[1].at(-1)).toBe(25);
    expect(later[2].at(-1)).toBe(null);
    expect(appendLive(later, 1795652000, 1, 27)[1].at(-1)).toBe(27);
    expect(appendLive(later, 1795651000, 1, 99)).toBe(later);  // older than shown: ignored
  });
  it("keeps a column per line when a live value comes before the series (the game page's start)", () => {
    const later = appendLive([[], [], [], []], 1795652000, 2, 25);
    expect(later.map((column) => column.length)).toEqual([1, 1, 1, 1]);
    expect(later[2]).toEqual([25]);
  });
  it("summarises peaks, averages and hours watched over non-gap points", () => {
    expect(summarise(points, "avg_viewers", "peak_viewers", "hours_watched")).toEqual(
      { peak: 30, average: 15, hoursWatched: 2.5 });
  });
  it("filters and sorts rankings", () => {
    const items = [
      { game_key: "just chatting", name: "Just Chatting", is_game: false, avg_viewers: 50 },
      { game_key: "dota 2", name: "Dota 2", is_game: true, avg_viewers: 30 },
      { game_key: "fortnite", name: "Fortnite", is_game: true, avg_viewers: 40 },
    ];
    expect(filterRankings(items, "", true).map((i) => i.game_key)).toEqual(["dota 2", "fortnite"]);
    expect(filterRankings(items, "DOTA", false).map((i) => i.game_key)).toEqual(["dota 2"]);
    expect(sortRankings(items, "avg_viewers", true).map((i) => i.game_key)).toEqual(["just chatting", "fortnite", "dota 2"]);
    expect(sortRankings(items, "name", false).map((i) => i.game_key)).toEqual(["dota 2", "fortnite", "just chatting"]);
  });
});

describe("recent totals", () => {
  const gold = [
    { bucket_start: "2026-11-26T00:00:00Z", avg_total: 100 },
    { bucket_start: "2026-11-26T00:55:00Z", avg_total: 160 },
  ];
  const t0 = Date.parse("2026-11-26T00:00:00Z") / 1000;
  it("draws gold's buckets, then only the live totals after gold's last bucket, within the span", () => {
    const live: [number, number][] = [[t0 + 3000, 150], [t0 + 3600, 170], [t0 + 3605, 171]];
    const [xs, ys] = recentColumns(gold, live, t0 + 3610);
    expect(xs).toEqual([t0 + 3300, t0 + 3600, t0 + 3605]);
    expect(ys).toEqual([160, 170, 171]);
  });
  it("shows the live totals alone when gold has nothing yet", () => {
    const [xs, ys] = recentColumns([], [[t0, 5]], t0 + 10);
    expect(xs).toEqual([t0]);
    expect(ys).toEqual([5]);
  });
});
