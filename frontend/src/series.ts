/** Chart and table helpers: gold series to uPlot columns (gaps stay gaps), the live tail, and
 * ranking filters. */

export type Point = { bucket_start: string; gap: boolean };
export type Columns = [number[], ...(number | null)[][]];

/** uPlot columns: x in epoch seconds, one y column per field; a gap bucket is null (drawn as a gap). */
export function toColumns(points: Point[], fields: string[]): Columns {
  const xs = points.map((p) => Date.parse(p.bucket_start) / 1000);
  const ys = fields.map((field) => points.map((p) => (p.gap ? null : toNumber(fieldOf(p, field)))));
  return [xs, ...ys];
}

/** A row's field by name (the columns a table or chart shows are chosen by name). */
export function fieldOf(row: object, field: string): unknown {
  return (row as Record<string, unknown>)[field];
}

function toNumber(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Append a live value at time `t` (seconds) to column `index`, keeping x sorted and unique. */
export function appendLive(columns: Columns, t: number, index: number, value: number): Columns {
  const [xs, ...ys] = columns;
  if (xs.length && t <= xs[xs.length - 1]) {
    if (t !== xs[xs.length - 1]) return columns;  // older than what is shown: ignore
    const updated = ys.map((column, i) => (i === index - 1 ? [...column.slice(0, -1), value] : column));
    return [xs, ...updated];
  }
  return [[...xs, t], ...ys.map((column, i) => [...column, i === index - 1 ? value : null])];
}

export type Total = { bucket_start: string; avg_total: number | null };

/** A platform's last `span` seconds before `now`: gold's 5-minute totals, then the live totals that
 * came after gold's last bucket (one line; x in epoch seconds). */
export function recentColumns(gold: Total[], live: [number, number][], now: number, span = 3600): Columns {
  const since = now - span;
  const points: [number, number | null][] = gold
    .map((p): [number, number | null] => [Date.parse(p.bucket_start) / 1000, toNumber(p.avg_total)])
    .filter(([t]) => t >= since);
  const goldEnd = gold.length ? Date.parse(gold[gold.length - 1].bucket_start) / 1000 + 300 : -Infinity;
  for (const [t, v] of live) if (t >= goldEnd && t >= since) points.push([t, v]);
  points.sort((a, b) => a[0] - b[0]);
  return [points.map(([t]) => t), points.map(([, v]) => v)];
}

export type Summary = { peak: number | null; average: number | null; hoursWatched: number | null };

/** Peak and average over the non-gap points, and the hours watched they add up to. */
export function summarise(points: Point[], average: string, peak: string, hours?: string): Summary {
  const present = points.filter((p) => !p.gap);
  const averages = present.map((p) => toNumber(fieldOf(p, average))).filter((v): v is number => v !== null);
  const peaks = present.map((p) => toNumber(fieldOf(p, peak))).filter((v): v is number => v !== null);
  const watched = hours ? present.map((p) => toNumber(fieldOf(p, hours))).filter((v): v is number => v !== null) : [];
  return {
    peak: peaks.length ? Math.max(...peaks) : null,
    average: averages.length ? averages.reduce((a, b) => a + b, 0) / averages.length : null,
    hoursWatched: watched.length ? watched.reduce((a, b) => a + b, 0) : null,
  };
}

export type Ranked = { game_key: string; name: string | null; is_game: boolean };

export function filterRankings<T extends Ranked>(items: T[], query: string, hideNonGames: boolean): T[] {
  const needle = query.trim().toLowerCase();
  return items.filter((item) => (!hideNonGames || item.is_game)
    && (!needle || (item.name ?? "").toLowerCase().includes(needle) || item.game_key.includes(needle)));
}

export function sortRankings<T extends Ranked>(items: T[], field: string, descending: boolean): T[] {
  const value = (item: T): number | string => {
    const v = fieldOf(item, field);
    return typeof v === "number" ? v : typeof v === "string" ? v.toLowerCase() : -Infinity;
  };
  return [...items].sort((a, b) => {
    const x = value(a), y = value(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  });
}
