import { coverageNote, LOW_COVERAGE, type MonthRow } from "../months";

/** Marks a finished month its polls covered less than LOW_COVERAGE of: its averages stand on gaps. */
export function CoverageMark({ row }: { row: MonthRow | undefined }) {
  const note = row ? coverageNote(row) : null;
  if (!note) return null;
  return (
    <span className="low-coverage" data-testid="low-coverage"
          title={`Polls covered less than ${LOW_COVERAGE * 100}% of this month: its figures stand on what was observed, with gaps.`}>
      {" "}⚠ {note}
    </span>
  );
}
