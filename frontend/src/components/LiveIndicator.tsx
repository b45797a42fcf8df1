import type { Status } from "../live";

export function LiveIndicator({ status }: { status: Status }) {
  return <span className={`live-indicator ${status}`} data-testid="live-status">{status === "live" ? "● live" : status === "connecting" ? "○ connecting" : "◌ reconnecting"}</span>;
}
