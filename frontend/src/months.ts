/** Monthly tables as the statistics sites show them: which columns a platform's months have, and
 * how each cell reads. */
import type { Platform } from "./api";
import { compact, percent, signed } from "./format";
import { fieldOf } from "./series";

/** What every month row has beside the figures a table shows by name (`monthCell`). */
export type MonthRow = { coverage?: number | null; is_partial?: boolean };

/** [field, label] of a month's figures on a platform (players on Steam, viewers elsewhere). */
export function monthColumns(platform: Platform): [string, string][] {
  if (platform === "steam") {
    return [["avg_players", "avg players"], ["gain", "gain"], ["growth", "% gain"], ["peak_players", "peak players"]];
  }
  return [["avg_viewers", "avg viewers"], ["gain", "gain"], ["growth", "% gain"], ["peak_viewers", "peak viewers"],
          ["hours_watched", "hours watched"], ["avg_channels", "avg channels"], ["peak_channels", "peak channels"],
          ["avg_viewer_ratio", "viewers per channel"]];
}

/** A platform's own months: its total's figures. */
export const PLATFORM_MONTH_COLUMNS: [string, string][] = [
  ["avg_total", "average"], ["gain", "gain"], ["growth", "% gain"], ["peak_total", "peak"], ["hours_watched", "hours"],
  ["games", "games"],
];

export function monthCell(field: string, row: MonthRow): string {
  const value = fieldOf(row, field);
  const number = typeof value === "number" ? value : null;
  if (field === "growth") return percent(number);
  if (field === "gain") return signed(number);
  if (field === "avg_viewer_ratio") return number === null ? "–" : number.toFixed(1);
  return compact(number);
}

/** A finished month whose polls covered less than this share of it is marked: its figures stand on gaps. */
export const LOW_COVERAGE = 0.95;

/** "62% covered" for a finished month below LOW_COVERAGE; null when it is covered, or still running. */
export function coverageNote(row: MonthRow): string | null {
  const coverage = row.coverage;
  if (row.is_partial === true || typeof coverage !== "number" || coverage >= LOW_COVERAGE) return null;
  return `${Math.floor(coverage * 100)}% covered`;
}

/** "2016-01" as "January 2016". */
export function monthName(month: string): string {
  const [year, number] = month.split("-").map(Number);
  return new Date(Date.UTC(year, number - 1, 1)).toLocaleString("en", { month: "long", year: "numeric", timeZone: "UTC" });
}
