import { useCallback, useEffect, useState } from "react";
import { getJson, PLATFORMS, PLATFORM_LABEL, type Platform } from "../api";
import { Chart } from "../components/Chart";
import { LiveIndicator } from "../components/LiveIndicator";
import { Problem } from "../components/Loading";
import { age, compact, percent, signed } from "../format";
import { recentColumns } from "../series";
import type { ChangeMessage, Movers, Overview } from "../types";
import { useLive, useNow } from "../useLive";

const COLORS: Record<Platform, string> = { steam: "#1b9e77", twitch: "#7b3fe4", youtube: "#e0302b" };
const HOUR = 3600;

/** Each platform's live total, its last hour (gold's 5-minute totals extended by the live ones) and
 * top 10 (WebSocket), growth over the latest complete gold hour, and movers. */
export function Home() {
  const [totals, setTotals] = useState<Record<string, [number, number][]>>({});
  const onChange = useCallback((change: ChangeMessage) => {
    if (change.game !== "*") return;
    const t = Date.parse(change.observed_at) / 1000;
    setTotals((current) => ({
      ...current,
      [change.platform]: [...(current[change.platform] ?? []).filter(([x]) => x > t - HOUR && x !== t), [t, change.value]],
    }));
  }, []);
  const [live, status] = useLive({ limit: "60" }, onChange);
  const now = useNow();
  const [overview, setOverview] = useState<Overview | null>(null);
  const [movers, setMovers] = useState<Record<string, Movers["items"]>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () => {
      getJson<Overview>("/api/overview").then((o) => { setOverview(o); setError(null); })
        .catch((e: Error) => setError(`Trends unavailable: ${e.message}`));
      Promise.all(["risers", "fallers"].map((direction) => getJson<Movers>("/api/movers", { platform: "twitch", window: "1h", direction })))
        .then(([up, down]) => setMovers({ risers: up.items.slice(0, 5), fallers: down.items.slice(0, 5) }))
        .catch(() => setMovers({}));
    };
    load();
    const timer = setInterval(load, 60_000);
    return () => clearInterval(timer);
  }, []);
  const hidden = new Set(overview?.non_games ?? []);  // Just Chatting, Music, ...: not games
  const growth = (platform: Platform, key: string) =>
    overview?.platforms.find((p) => p.platform === platform)?.last_hour.games.find((g) => g.game_key === key)?.growth ?? null;
  return (
    <section>
      <div className="heading">
        <h1>Now</h1>
        <LiveIndicator status={status} />
      </div>
      <Problem error={error} />
      <div className="cards">
        {PLATFORMS.map((platform) => {
          const state = live.platforms[platform];
          const games = (state?.games ?? []).filter((g) => g.is_game !== false && !hidden.has(g.game)).slice(0, 10);
          return (
            <article className="card" key={platform} data-testid={`card-${platform}`}>
              <h2><a href={`#/platform/${platform}`}>{PLATFORM_LABEL[platform]}</a></h2>
              <p className="total" data-testid={`total-${platform}`}>{compact(state?.total)}</p>
              <p className="age" data-testid={`age-${platform}`}>data age {age(state?.observed_at, now)}</p>
              <Chart
                columns={recentColumns(overview?.platforms.find((p) => p.platform === platform)?.recent ?? [],
                                       totals[platform] ?? [], now / 1000)}
                labels={[PLATFORM_LABEL[platform]]} colors={[COLORS[platform]]} height={140} legend={false}
                testId={`recent-${platform}`}
              />
              <table>
                <thead><tr><th>#</th><th>game</th><th>now</th><th>change</th><th title="over the latest complete hour, against the hour before it">growth 1h</th></tr></thead>
                <tbody>
                  {games.map((g, i) => (
                    <tr key={g.game}>
                      <td>{i + 1}</td>
                      <td><a href={`#/game/${encodeURIComponent(g.game)}`}>{g.name}</a></td>
                      <td data-testid="live-value">{compact(g.value)}</td>
                      <td className={(g.change ?? 0) >= 0 ? "up" : "down"}>{signed(g.change)}</td>
                      <td data-testid="growth">{percent(growth(platform, g.game))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {!games.length && <p className="empty">waiting for the first complete poll…</p>}
            </article>
          );
        })}
      </div>
      <div className="cards movers">
        {(["risers", "fallers"] as const).map((direction) => (
          <article className="card" key={direction} data-testid={`movers-${direction}`}>
            <h2>Twitch {direction}, last hour</h2>
            <ul>
              {(movers[direction] ?? []).map((m) => (
                <li key={m.game_key}>
                  <a href={`#/game/${encodeURIComponent(m.game_key)}`}>{m.name}</a>{" "}
                  <span className={m.change >= 0 ? "up" : "down"}>{signed(m.change)} ({percent(m.growth)})</span>
                </li>
              ))}
            </ul>
            {!(movers[direction] ?? []).length && <p className="empty">needs two comparable hours of gold</p>}
          </article>
        ))}
      </div>
    </section>
  );
}
