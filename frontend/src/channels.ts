/** Channels as the pages show them: the address of a channel's page, its columns, and a game's
 * languages as shares. */
import type { Platform } from "./api";
import { compact } from "./format";
import type { LanguageShare } from "./types";

/** The channel's page: by its login where it has one (what its platform's URL uses), else its id. */
export function channelHref(platform: Platform, channel: { channel_id: string; user_login?: string | null }): string {
  return `#/channel/${platform}/${encodeURIComponent(channel.user_login || channel.channel_id)}`;
}

/** [field, label] of a channel's monthly figures. */
export const CHANNEL_COLUMNS: [string, string][] = [
  ["hours_watched", "hours watched"], ["hours_streamed", "hours streamed"], ["avg_viewers", "avg viewers"],
  ["peak_viewers", "peak viewers"], ["streams", "streams"], ["games", "games"],
];

export function channelCell(field: string, row: Record<string, unknown>): string {
  const value = row[field];
  return typeof value === "number" ? compact(value) : "–";
}

const LANGUAGE_NAMES = new Intl.DisplayNames(["en"], { type: "language" });

/** "de" as "German"; 'unknown' and codes the browser does not know as written. */
export function languageName(code: string): string {
  if (code === "unknown") return "not given";
  try {
    return LANGUAGE_NAMES.of(code) ?? code;
  } catch {
    return code;
  }
}

/** The languages to draw as bars, most watched first: the first `shown`, the rest as one "other". */
export function languageBars(languages: LanguageShare[], shown = 6): { label: string; share: number }[] {
  const sorted = [...languages].sort((a, b) => (b.share_hours_watched ?? 0) - (a.share_hours_watched ?? 0));
  const bars = sorted.slice(0, shown).map((l) => ({ label: languageName(l.language), share: l.share_hours_watched ?? 0 }));
  const rest = sorted.slice(shown).reduce((sum, l) => sum + (l.share_hours_watched ?? 0), 0);
  return rest > 0 ? [...bars, { label: "other", share: rest }] : bars;
}
