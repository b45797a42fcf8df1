import { useEffect, useState } from "react";
import { getJson, PLATFORM_LABEL, type Platform } from "../api";
import { CHANNEL_COLUMNS, channelCell, languageName } from "../channels";
import { Chart } from "../components/Chart";
import { Problem } from "../components/Loading";
import { compact } from "../format";
import { monthName } from "../months";
import type { Columns } from "../series";
import type { Channel, ChannelSeries } from "../types";

const RANGES: Record<string, number> = { "24h": 1, "7d": 7, "30d": 30, "1y": 365 };
const RESOLUTIONS = ["auto", "5m", "1h", "1d", "1mo"];

/** Average viewers per bucket it was live in; the buckets it was offline in are gaps. */
function columnsOf(series: ChannelSeries | null): Columns {
  const points = series?.points ?? [];
  return [points.map((p) => Date.parse(p.bucket_start) / 1000), points.map((p) => p.avg_viewers ?? null)];
}

/** A channel: its names, its viewers over time, its months and the games it streamed. The page
 * lives at the channel's login (its id where it has none); an older name in the address is replaced. */
export function ChannelPage({ platform, channel }: { platform: Platform; channel: string }) {
  const [found, setFound] = useState<Channel | null>(null);
  const [range, setRange] = useState("30d");
  const [resolution, setResolution] = useState("auto");
  const [series, setSeries] = useState<ChannelSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<Channel>(`/api/channels/${platform}/${encodeURIComponent(channel)}`, { months: 24 })
      .then((c) => {
        setFound(c);
        const name = c.user_login || c.channel_id;
        if (name !== channel) window.history.replaceState(null, "", `#/channel/${platform}/${encodeURIComponent(name)}`);
      })
      .catch((e: Error) => setError(`Channel unavailable: ${e.message}`));
  }, [platform, channel]);
  const id = found?.channel_id;
  useEffect(() => {
    if (!id) return;
    const to = new Date();
    const from = new Date(to.getTime() - RANGES[range] * 86_400_000);
    getJson<ChannelSeries>(`/api/channels/${platform}/${encodeURIComponent(id)}/series`,
                           { from: from.toISOString(), to: to.toISOString(), resolution })
      .then((s) => { setSeries(s); setError(null); })
      .catch((e: Error) => setError(`Series unavailable: ${e.message}`));
  }, [platform, id, range, resolution]);
  const older = (found?.names ?? []).filter((n) => n.user_login !== found?.user_login || n.channel_name !== found?.channel_name);
  return (
    <section>
      <div className="heading">
        <h1 data-testid="channel-name">{found?.channel_name ?? channel}</h1>
        <span className="tag">{PLATFORM_LABEL[platform].split(" ")[0]}</span>
        {found?.user_login && <span className="muted">@{found.user_login}</span>}
        {found?.language && <span className="muted">{languageName(found.language)}</span>}
      </div>
      {older.length > 0 && (
        <p className="muted" data-testid="channel-names">formerly {older.map((n) => n.channel_name || n.user_login).join(", ")}</p>
      )}
      <div className="controls">
        <span role="group" aria-label="range">
          {Object.keys(RANGES).map((r) => <button key={r} className={r === range ? "active" : ""} onClick={() => setRange(r)}>{r}</button>)}
        </span>
        <span role="group" aria-label="resolution">
          {RESOLUTIONS.map((r) => <button key={r} className={r === resolution ? "active" : ""} onClick={() => setResolution(r)}>{r}</button>)}
        </span>
        {series && <span className="muted">buckets: {series.resolution}</span>}
      </div>
      <Problem error={error} />
      <Chart columns={columnsOf(series)} labels={["average viewers"]} colors={["#7b3fe4"]} testId="channel-chart" />
      <article className="card months" data-testid="channel-months">
        <h2>By month</h2>
        <table>
          <thead><tr><th>month</th>{CHANNEL_COLUMNS.map(([f, label]) => <th key={f}>{label}</th>)}<th>rank</th></tr></thead>
          <tbody>
            {(found?.months ?? []).map((row) => (
              <tr key={row.month}>
                <td>{monthName(row.month)}{row.is_partial ? " (so far)" : ""}</td>
                {CHANNEL_COLUMNS.map(([field]) => <td key={field}>{channelCell(field, row)}</td>)}
                <td><a href={`#/platform/${platform}/channels/${row.month}`}>{row.rank}</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      </article>
      <article className="card" data-testid="channel-games">
        <h2>Games</h2>
        <table>
          <thead><tr><th>game</th><th>hours streamed</th><th>hours watched</th><th>avg viewers</th><th>peak viewers</th><th>days</th></tr></thead>
          <tbody>
            {(found?.games ?? []).map((g) => (
              <tr key={g.game_key}>
                <td><a href={`#/game/${encodeURIComponent(g.slug ?? g.game_key)}`}>{g.name ?? g.game_key}</a></td>
                <td>{compact(g.hours_streamed)}</td><td>{compact(g.hours_watched)}</td><td>{compact(g.avg_viewers)}</td>
                <td>{compact(g.peak_viewers)}</td><td>{g.days}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </article>
    </section>
  );
}
