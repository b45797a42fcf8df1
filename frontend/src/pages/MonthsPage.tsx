import { useEffect, useState } from "react";
import { getJson, PLATFORM_LABEL, type Platform } from "../api";
import { Problem } from "../components/Loading";
import { CoverageMark } from "../components/CoverageMark";
import { monthCell, monthColumns, monthName, PLATFORM_MONTH_COLUMNS } from "../months";
import type { MonthTable, PlatformMonths } from "../types";

/** A platform's months (its total per month) and one month's games ranked, like the statistics sites. */
export function MonthsPage({ platform, month }: { platform: Platform; month: string | null }) {
  const [months, setMonths] = useState<PlatformMonths | null>(null);
  const [table, setTable] = useState<MonthTable | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<PlatformMonths>(`/api/platforms/${platform}/months`).then((m) => { setMonths(m); setError(null); })
      .catch((e: Error) => setError(`Months unavailable: ${e.message}`));
  }, [platform]);
  const shown = month ?? months?.months[0]?.month ?? null;
  useEffect(() => {
    if (!shown) return;
    getJson<MonthTable>(`/api/platforms/${platform}/months/${shown}`, { limit: 50 })
      .then((t) => { setTable(t); setError(null); })
      .catch((e: Error) => setError(`${monthName(shown)} unavailable: ${e.message}`));
  }, [platform, shown]);
  const columns = monthColumns(platform);
  return (
    <section>
      <div className="heading">
        <h1>{PLATFORM_LABEL[platform]} by month</h1>
        <a href={`#/platform/${platform}`}>rankings</a>
      </div>
      <Problem error={error} />
      {shown && (
        <div className="controls">
          <label>month{" "}
            <select value={shown} data-testid="month-select"
                    onChange={(e) => { window.location.hash = `#/platform/${platform}/months/${e.target.value}`; }}>
              {(months?.months ?? []).map((m) => <option key={m.month} value={m.month}>{monthName(m.month)}</option>)}
            </select>
          </label>
        </div>
      )}
      <h2 data-testid="month-title">
        {shown ? monthName(shown) : "no months in gold yet"}
        <CoverageMark row={months?.months.find((m) => m.month === shown)} />
      </h2>
      <table className="rankings" data-testid="month-table">
        <thead><tr><th>#</th><th>game</th>{columns.map(([field, label]) => <th key={field}>{label}</th>)}</tr></thead>
        <tbody>
          {(table?.items ?? []).map((row) => (
            <tr key={row.game_key}>
              <td>{row.rank}</td>
              <td><a href={`#/game/${encodeURIComponent(row.slug ?? row.game_key)}`}>{row.name}</a></td>
              {columns.map(([field]) => <td key={field}>{monthCell(field, row)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Every month</h2>
      <table className="rankings" data-testid="platform-months">
        <thead><tr><th>month</th>{PLATFORM_MONTH_COLUMNS.map(([field, label]) => <th key={field}>{label}</th>)}</tr></thead>
        <tbody>
          {(months?.months ?? []).map((row) => (
            <tr key={row.month}>
              <td>
                <a href={`#/platform/${platform}/months/${row.month}`}>{monthName(row.month)}</a>
                {row.is_partial ? " (so far)" : ""}<CoverageMark row={row} />
              </td>
              {PLATFORM_MONTH_COLUMNS.map(([field]) => <td key={field}>{monthCell(field, row)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
