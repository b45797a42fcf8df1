/** Display helpers: compact numbers, signed changes, percentages and ages. */

export function compact(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const abs = Math.abs(value);
  const units: [number, string][] = [[1e9, "B"], [1e6, "M"], [1e3, "k"]];
  for (const [size, suffix] of units) {
    if (abs >= size) {
      const scaled = value / size;
      return `${scaled.toFixed(Math.abs(scaled) >= 100 ? 0 : Math.abs(scaled) >= 10 ? 1 : 2)}${suffix}`;
    }
  }
  return Math.round(value).toString();
}

export function signed(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (value === 0) return "0";
  return `${value > 0 ? "+" : "−"}${compact(Math.abs(value))}`;
}

export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const shown = (value * 100).toFixed(Math.abs(value) < 0.1 ? 1 : 0);
  return `${value > 0 ? "+" : ""}${shown}%`;
}

/** Age of an ISO timestamp relative to `now` (ms), e.g. "12 s", "3 min", "2 h". */
export function age(iso: string | null | undefined, now: number): string {
  if (!iso) return "–";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}
