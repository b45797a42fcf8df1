import { useCallback, useEffect, useState } from "react";
import { getJson, PLATFORM_LABEL, PLATFORMS, type Platform } from "../api";
import { Chart } from "../components/Chart";
import { GameAudience } from "../components/GameAudience";
import { LiveIndicator } from "../components/LiveIndicator";
import { Problem } from "../components/Loading";
import { RangePicker } from "../components/RangePicker";
import { compact } from "../format";
import { CoverageMark } from "../components/CoverageMark";
import { monthCell, monthColumns, monthName } from "../months";
import { appendLive, fieldOf, summarise, type Columns } from "../series";
import type { ChangeMessage, Game, GameMonths, Series } from "../types";
import { useLive } from "../useLive";

const RANGES: Record<string, number> = { "24h": 1, "7d": 7, "30d": 30 };
const RESOLUTIONS = ["auto", "5m", "1h", "1d", "1mo"];
const COLORS: Record<Platform, string> = { steam: "#1b9e77", twitch: "#7b3fe4", youtube: "#e0302b" };
const VALUE: Record<Platform, [string, string, string | undefined]> = {
  steam: ["avg_players", "peak_players", undefined],
  twitch: ["avg_viewers", "peak_viewers", "hours_watched"],
  youtube: ["avg_viewers", "peak_viewers", "hours_watched"],
};

/** One x column for every platform's buckets; each platform's average as a y column (gaps null). */
function columnsOf(series: Series | null): Columns {
  const xs = new Set<number>();
  for (const points of Object.values(series?.series ?? {})) for (const p of points ?? []) xs.add(Date.parse(p.bucket_start) / 1000);
  const sorted = [...xs].sort((a, b) => a - b);
  const ys = PLATFORMS.map((platform) => {
    const byTime = new Map((series?.series[platform] ?? []).map((p) => [Date.parse(p.bucket_start) / 1000, p]));
    return sorted.map((t) => {
      const p = byTime.get(t);
      const v = p && !p.gap ? fieldOf(p, VALUE[platform][0]) : null;
      return typeof v === "number" ? v : null;
    });
  });
  return [sorted, ...ys];
}

/** Players vs viewers over time, with range (trailing or any from/to) and resolution, gaps as gaps,
 * the live tail, and the game's months per platform. The page lives at the game's slug; a key or a
 * name in the address is replaced by it. */
export function GamePage({ gameKey }: { gameKey: string }) {
  const [range, setRange] = useState<string | { from: string; to: string }>("24h");
  const [resolution, setResolution] = useState("auto");
  const [game, setGame] = useState<Game | null>(null);
  const [series, setSeries] = useState<Series | null>(null);
  const [months, setMonths] = useState<GameMonths | null>(null);
  // x and one column per platform from the start: a live change may arrive before the series does,
  // and the chart has a line per platform
  const [columns, setColumns] = useState<Columns>(() => [[], ...PLATFORMS.map(() => [])]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<Game>(`/api/games/${encodeURIComponent(gameKey)}`)
      .then((g) => {
        setGame(g);
        if (g.slug && g.slug !== gameKey) window.history.replaceState(null, "", `#/game/${encodeURIComponent(g.slug)}`);
      })
      .catch((e: Error) => setError(`Game unavailable: ${e.message}`));
  }, [gameKey]);
  const key = game?.game_key;
  useEffect(() => {
    if (!key) return;
    const to = typeof range === "string" ? new Date().toISOString() : range.to;
    const from = typeof range === "string" ? new Date(Date.parse(to) - RANGES[range] * 86_400_000).toISOString() : range.from;
    getJson<Series>(`/api/games/${encodeURIComponent(key)}/series`, { from, to, resolution })
      .then((s) => { setSeries(s); setColumns(columnsOf(s)); setError(null); })
      .catch((e: Error) => setError(`Series unavailable: ${e.message}`));
  }, [key, range, resolution]);
  useEffect(() => {
    if (!key) return;
    getJson<GameMonths>(`/api/games/${encodeURIComponent(key)}/months`, { limit: 24 }).then(setMonths)
      .catch((e: Error) => setError(`Months unavailable: ${e.message}`));
  }, [key]);
  const onChange = useCallback((change: ChangeMessage) => {
    const index = PLATFORMS.indexOf(change.platform as Platform) + 1;
    if (index > 0 && change.game === key) {
      setColumns((current) => appendLive(current, Date.parse(change.observed_at) / 1000, index, change.value));
    }
  }, [key]);
  const [, status] = useLive({ games: key ?? gameKey }, onChange);
  return (
    <section>
      <div className="heading">
        <h1 data-testid="game-name">{game?.name ?? gameKey}</h1>
        {game && !game.is_game && <span className="tag">not a game</span>}
        <LiveIndicator status={status} />
      </div>
      {game?.reviews && (
        <p className="reviews">Steam reviews: {game.reviews.review_score_desc || `score ${game.reviews.review_score}`}
          {game.reviews.positive_ratio !== null && `, ${Math.round(game.reviews.positive_ratio * 100)}% positive`}</p>
      )}
      <div className="controls">
        <span role="group" aria-label="range">
          {Object.keys(RANGES).map((r) => <button key={r} className={r === range ? "active" : ""} onClick={() => setRange(r)}>{r}</button>)}
        </span>
        <RangePicker active={typeof range !== "string"} onApply={(from, to) => setRange({ from, to })} />
        <span role="group" aria-label="resolution">
          {RESOLUTIONS.map((r) => <button key={r} className={r === resolution ? "active" : ""} onClick={() => setResolution(r)}>{r}</button>)}
        </span>
        {series && <span className="muted">buckets: {series.resolution}</span>}
      </div>
      <Problem error={error} />
      <Chart columns={columns} labels={PLATFORMS.map((p) => PLATFORM_LABEL[p])} colors={PLATFORMS.map((p) => COLORS[p])} testId="game-chart" />
      <div className="cards stats">
        {PLATFORMS.map((platform) => {
          const points = series?.series[platform] ?? [];
          const [average, peak, hours] = VALUE[platform];
          const stats = summarise(points, average, peak, hours);
          return (
            <article className="card" key={platform} data-testid={`stats-${platform}`}>
              <h2>{PLATFORM_LABEL[platform]}</h2>
              <dl>
                <dt>average</dt><dd>{compact(stats.average)}</dd>
                <dt>peak</dt><dd>{compact(stats.peak)}</dd>
                {hours && <><dt>hours watched</dt><dd>{compact(stats.hoursWatched)}</dd></>}
                <dt>gaps</dt><dd>{points.filter((p) => p.gap).length} of {points.length} buckets</dd>
              </dl>
            </article>
          );
        })}
      </div>
      {key && <GameAudience gameKey={key} />}
      {PLATFORMS.filter((platform) => (months?.months[platform] ?? []).length).map((platform) => (
        <article key={platform} className="card months" data-testid={`game-months-${platform}`}>
          <h2>{PLATFORM_LABEL[platform]} by month</h2>
          <table>
            <thead><tr><th>month</th>{monthColumns(platform).map(([field, label]) => <th key={field}>{label}</th>)}<th>rank</th></tr></thead>
            <tbody>
              {(months?.months[platform] ?? []).map((row) => (
                <tr key={row.month}>
                  <td>
                    <a href={`#/platform/${platform}/months/${row.month}`}>{monthName(row.month)}</a>
                    {row.is_partial ? " (so far)" : ""}<CoverageMark row={row} />
                  </td>
                  {monthColumns(platform).map(([field]) => <td key={field}>{monthCell(field, row)}</td>)}
                  <td>{row.rank ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </section>
  );
}
