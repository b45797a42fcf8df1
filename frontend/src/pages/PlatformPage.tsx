import { useEffect, useMemo, useState } from "react";
import { getJson, PLATFORM_LABEL, type Platform } from "../api";
import { Problem } from "../components/Loading";
import { RangePicker } from "../components/RangePicker";
import { compact, percent, signed } from "../format";
import { fieldOf, filterRankings, sortRankings } from "../series";
import type { RankedGame, Ranking } from "../types";

const WINDOWS = ["now", "24h", "7d", "30d"] as const;
type Choice = (typeof WINDOWS)[number] | { from: string; to: string };

/** Rankings for one platform over a window or any from/to: sortable, searchable, non-game categories
 * optional. */
export function PlatformPage({ platform }: { platform: Platform }) {
  const [window, setWindow] = useState<Choice>("24h");
  const [showNonGames, setShowNonGames] = useState(false);
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState<{ field: string; descending: boolean }>({ field: "rank", descending: false });
  const [top, setTop] = useState<Ranking | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const span = typeof window === "string" ? { window } : window;
    getJson<Ranking>("/api/games/top", { platform, ...span, include_non_games: true, limit: 100 })
      .then((t) => { setTop(t); setError(null); })
      .catch((e: Error) => setError(`Rankings unavailable: ${e.message}`));
  }, [platform, window]);
  const players = platform === "steam";
  const columns: [string, string][] = players
    ? [["rank", "#"], ["name", "game"], ["avg_players", "avg players"], ["peak_players", "peak players"], ["change", "change"], ["growth", "growth"]]
    : [["rank", "#"], ["name", "game"], ["avg_viewers", "avg viewers"], ["peak_viewers", "peak viewers"], ["hours_watched", "hours watched"],
       ["avg_channels", "avg channels"], ["change", "change"], ["growth", "growth"]];
  const rows = useMemo(() => sortRankings(filterRankings(top?.items ?? [], query, !showNonGames), sort.field, sort.descending),
                       [top, query, showNonGames, sort]);
  const show = (field: string, row: RankedGame): string => {
    const value = fieldOf(row, field);
    if (field === "growth") return percent(value as number | null);
    if (field === "change") return signed(value as number | null);
    if (field === "name" || field === "rank") return String(value);
    return compact(value as number | null);
  };
  return (
    <section>
      <div className="heading">
        <h1>{PLATFORM_LABEL[platform]}</h1>
        <a href={`#/platform/${platform}/months`} data-testid="months-link">by month</a>
        {platform !== "steam" && <a href={`#/platform/${platform}/channels`} data-testid="channels-link">channels</a>}
      </div>
      <div className="controls">
        <span role="group" aria-label="window">
          {WINDOWS.map((w) => (
            <button key={w} className={w === window ? "active" : ""} onClick={() => setWindow(w)} data-testid={`window-${w}`}>{w}</button>
          ))}
        </span>
        <RangePicker active={typeof window !== "string"} onApply={(from, to) => setWindow({ from, to })} />
        <input placeholder="search games" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="search" />
        <label><input type="checkbox" checked={showNonGames} onChange={(e) => setShowNonGames(e.target.checked)} data-testid="non-games" /> show non-game categories</label>
      </div>
      <Problem error={error} />
      <table className="rankings" data-testid="rankings">
        <thead>
          <tr>{columns.map(([field, label]) => (
            <th key={field} onClick={() => setSort({ field, descending: sort.field === field ? !sort.descending : field !== "rank" && field !== "name" })}>
              {label}{sort.field === field ? (sort.descending ? " ▼" : " ▲") : ""}
            </th>))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.game_key}>
              {columns.map(([field]) => (
                <td key={field}>{field === "name" ? <a href={`#/game/${encodeURIComponent(row.game_key)}`}>{row.name}</a> : show(field, row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {top?.window_start && <p className="muted" data-testid="window-span">{top.window_start} – {top.window_end}</p>}
      {top && !rows.length && <p className="empty">no games in this window yet</p>}
    </section>
  );
}
