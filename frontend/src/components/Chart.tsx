import { useEffect, useRef } from "react";
import uPlot from "uplot";
import type { Columns } from "../series";

type Props = { columns: Columns; labels: string[]; colors: string[]; height?: number; testId?: string; legend?: boolean };

/** A uPlot line chart; null values are drawn as gaps (spanGaps off), never bridged. */
export function Chart({ columns, labels, colors, height = 320, testId, legend = true }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = labels.join("|");
  useEffect(() => {
    if (!box.current) return;
    const options: uPlot.Options = {
      width: box.current.clientWidth || 800, height,
      series: [{}, ...labels.map((label, i) => ({ label, stroke: colors[i], width: 2, spanGaps: false,
                                                  value: (_u: uPlot, v: number | null) => (v === null ? "–" : Math.round(v).toLocaleString()) }))],
      axes: [{}, { size: 70 }],
      legend: { show: legend },
    };
    plot.current = new uPlot(options, columns, box.current);
    const resize = () => plot.current?.setSize({ width: box.current?.clientWidth || 800, height });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.current?.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, height, legend]);
  useEffect(() => {
    plot.current?.setData(columns);
  }, [columns]);
  return <div ref={box} className="chart" data-testid={testId} data-points={columns[0].length} />;
}
