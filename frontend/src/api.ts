/** REST calls to the API (same origin). */

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Retries after an answer that says to try again (502, 503, 504: the warehouse is busy, loading or
 * restarting), at most RETRIES times: the delay Retry-After asks for (capped at 30 s), else 1, 2, 4 s.
 * null: do not retry. */
export const RETRIES = 3;
export function retryDelay(status: number, retryAfter: string | null, attempt: number): number | null {
  if (attempt >= RETRIES || ![502, 503, 504].includes(status)) return null;
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  return (Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 30) : 2 ** attempt) * 1000;
}

export async function getJson<T>(path: string, params: Record<string, string | number | boolean> = {}): Promise<T> {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const url = query ? `${path}?${query}` : path;
  let response = await fetch(url);
  for (let attempt = 0; !response.ok; attempt++) {
    const delay = retryDelay(response.status, response.headers.get("Retry-After"), attempt);
    if (delay === null) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
    response = await fetch(url);
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = (await response.json()) as { detail?: unknown };
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch {
      /* not JSON: keep the status text */
    }
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}

export const PLATFORMS = ["steam", "twitch", "youtube"] as const;
export type Platform = (typeof PLATFORMS)[number];
export const PLATFORM_LABEL: Record<Platform, string> = {
  steam: "Steam players", twitch: "Twitch viewers", youtube: "YouTube viewers",
};
