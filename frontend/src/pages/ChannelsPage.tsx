import { useEffect, useState } from "react";
import { getJson, PLATFORM_LABEL, type Platform } from "../api";
import { CHANNEL_COLUMNS, channelCell, channelHref, languageName } from "../channels";
import { Problem } from "../components/Loading";
import { monthName } from "../months";
import type { ChannelMonthTable, PlatformMonths } from "../types";

const METRICS: [string, string][] = [
  ["hours_watched", "hours watched"], ["avg_viewers", "average viewers"], ["peak_viewers", "peak viewers"],
  ["hours_streamed", "hours streamed"], ["streams", "streams"],
];

/** A platform's channels in a calendar month, ranked by a monthly column, like the statistics sites'
 * channel tables. */
export function ChannelsPage({ platform, month }: { platform: Platform; month: string | null }) {
  const [months, setMonths] = useState<PlatformMonths | null>(null);
  const [metric, setMetric] = useState("hours_watched");
  const [table, setTable] = useState<ChannelMonthTable | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<PlatformMonths>(`/api/platforms/${platform}/months`).then(setMonths)
      .catch((e: Error) => setError(`Months unavailable: ${e.message}`));
  }, [platform]);
  const shown = month ?? months?.months[0]?.month ?? null;
  useEffect(() => {
    if (!shown) return;
    getJson<ChannelMonthTable>(`/api/platforms/${platform}/channels/${shown}`, { metric, limit: 50 })
      .then((t) => { setTable(t); setError(null); })
      .catch((e: Error) => setError(`Channels of ${monthName(shown)} unavailable: ${e.message}`));
  }, [platform, shown, metric]);
  return (
    <section>
      <div className="heading">
        <h1>{PLATFORM_LABEL[platform].split(" ")[0]} channels</h1>
        <a href={`#/platform/${platform}`}>games</a>
        <a href={`#/platform/${platform}/months`}>games by month</a>
      </div>
      <div className="controls">
        {shown && (
          <label>month{" "}
            <select value={shown} data-testid="channel-month-select"
                    onChange={(e) => { window.location.hash = `#/platform/${platform}/channels/${e.target.value}`; }}>
              {(months?.months ?? []).map((m) => <option key={m.month} value={m.month}>{monthName(m.month)}</option>)}
            </select>
          </label>
        )}
        <label>ranked by{" "}
          <select value={metric} onChange={(e) => setMetric(e.target.value)} data-testid="channel-metric">
            {METRICS.map(([field, label]) => <option key={field} value={field}>{label}</option>)}
          </select>
        </label>
      </div>
      <Problem error={error} />
      <h2 data-testid="channels-title">{shown ? monthName(shown) : "no months in gold yet"}
        {table ? <span className="muted"> · {table.total.toLocaleString()} channels</span> : null}</h2>
      <table className="rankings" data-testid="channels-table">
        <thead><tr><th>#</th><th>channel</th>{CHANNEL_COLUMNS.map(([f, label]) => <th key={f}>{label}</th>)}<th>language</th></tr></thead>
        <tbody>
          {(table?.items ?? []).map((row) => (
            <tr key={row.channel_id}>
              <td>{row.rank}</td>
              <td><a href={channelHref(platform, row)}>{row.channel_name || row.user_login || row.channel_id}</a></td>
              {CHANNEL_COLUMNS.map(([field]) => <td key={field}>{channelCell(field, row)}</td>)}
              <td>{row.main_language ? languageName(row.main_language) : "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {table && !table.items.length && <p className="empty">no channels this month</p>}
    </section>
  );
}
