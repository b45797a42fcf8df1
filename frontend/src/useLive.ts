import { useEffect, useRef, useState } from "react";
import { applyMessage, emptyState, LiveConnection, type LiveState, type Status } from "./live";
import type { ChangeMessage } from "./types";

/** The live state of the feed for `params`, its connection status, and each change as it arrives
 * (to the latest `onChange`: a page's handler may change while its connection stays open). */
export function useLive(params: Record<string, string>, onChange?: (change: ChangeMessage) => void): [LiveState, Status] {
  const [state, setState] = useState<LiveState>(emptyState);
  const [status, setStatus] = useState<Status>("connecting");
  const handler = useRef(onChange);
  useEffect(() => {
    handler.current = onChange;
  }, [onChange]);
  const key = JSON.stringify(params);
  useEffect(() => {
    const connection = new LiveConnection(JSON.parse(key) as Record<string, string>, (message) => {
      setState((current) => applyMessage(current, message));
      if (message.type === "changes") for (const change of message.changes) handler.current?.(change);
    }, setStatus);
    connection.open();
    return () => connection.close();
  }, [key]);
  return [state, status];
}

/** Re-render every `ms` milliseconds (for data ages). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
