import { useEffect, useState } from "react";
import { getJson, PLATFORM_LABEL, type Platform } from "../api";
import { channelHref, languageBars } from "../channels";
import { compact } from "../format";
import type { GameChannels, GameLanguages } from "../types";

const WATCHED: Platform[] = ["twitch", "youtube"];

/** A game's top channels over the last 30 days and its audience by language this month, per
 * platform where it has channels. */
export function GameAudience({ gameKey }: { gameKey: string }) {
  const [platform, setPlatform] = useState<Platform>("twitch");
  const [channels, setChannels] = useState<GameChannels | null>(null);
  const [languages, setLanguages] = useState<GameLanguages | null>(null);
  useEffect(() => {
    const key = encodeURIComponent(gameKey);
    getJson<GameChannels>(`/api/games/${key}/channels`, { platform, limit: 10 }).then(setChannels).catch(() => setChannels(null));
    const month = new Date();
    const from = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)).toISOString();
    getJson<GameLanguages>(`/api/games/${key}/languages`, { platform, period: "1mo", from })
      .then(setLanguages).catch(() => setLanguages(null));
  }, [gameKey, platform]);
  const latest = languages?.periods[languages.periods.length - 1];
  const bars = latest ? languageBars(latest.languages) : [];
  return (
    <div className="cards audience">
      <article className="card" data-testid="game-channels">
        <div className="heading">
          <h2>Top channels, last 30 days</h2>
          <span role="group" aria-label="platform">
            {WATCHED.map((p) => (
              <button key={p} className={p === platform ? "active" : ""} onClick={() => setPlatform(p)}>{PLATFORM_LABEL[p].split(" ")[0]}</button>
            ))}
          </span>
        </div>
        <table>
          <thead><tr><th>#</th><th>channel</th><th>hours watched</th><th>avg viewers</th><th>share</th></tr></thead>
          <tbody>
            {(channels?.items ?? []).map((c) => (
              <tr key={c.channel_id}>
                <td>{c.rank}</td>
                <td><a href={channelHref(platform, c)}>{c.channel_name || c.user_login || c.channel_id}</a></td>
                <td>{compact(c.hours_watched)}</td><td>{compact(c.avg_viewers)}</td>
                <td>{c.share_hours_watched === null ? "–" : `${(c.share_hours_watched * 100).toFixed(1)}%`}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {channels && !channels.items.length && <p className="empty">no channels in these days</p>}
      </article>
      <article className="card" data-testid="game-languages">
        <h2>Audience by language, this month</h2>
        {bars.map((bar) => (
          <div key={bar.label} className="bar-row">
            <span className="bar-label">{bar.label}</span>
            <span className="bar" style={{ width: `${Math.max(bar.share * 100, 0.5)}%` }} />
            <span className="bar-value">{(bar.share * 100).toFixed(1)}%</span>
          </div>
        ))}
        {languages && !bars.length && <p className="empty">no languages this month</p>}
      </article>
    </div>
  );
}
