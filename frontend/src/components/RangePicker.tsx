import { useState } from "react";

type Props = { onApply: (from: string, to: string) => void; active: boolean };

/** Any from/to as two dates (UTC days; `to` inclusive), applied together. */
export function RangePicker({ onApply, active }: Props) {
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const apply = () => {
    if (!from || !to) return;
    const end = new Date(`${to}T00:00:00Z`);
    end.setUTCDate(end.getUTCDate() + 1);  // the whole last day
    onApply(`${from}T00:00:00Z`, end.toISOString().replace(".000Z", "Z"));
  };
  return (
    <span className={`range ${active ? "active" : ""}`} role="group" aria-label="custom range">
      <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="range-from" aria-label="from" />
      –
      <input type="date" value={to} onChange={(e) => setTo(e.target.value)} data-testid="range-to" aria-label="to" />
      <button onClick={apply} disabled={!from || !to} data-testid="range-apply">apply</button>
    </span>
  );
}
