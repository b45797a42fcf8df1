import { describe, expect, it } from "vitest";
import { RETRIES, retryDelay } from "./api";

describe("retryDelay", () => {
  it("waits as long as Retry-After asks after a 503, capped at 30 s", () => {
    expect(retryDelay(503, "5", 0)).toBe(5000);
    expect(retryDelay(503, "120", 1)).toBe(30000);
  });

  it("backs off 1, 2, 4 s without a usable Retry-After, then gives up", () => {
    expect([0, 1, 2].map((attempt) => retryDelay(502, null, attempt))).toEqual([1000, 2000, 4000]);
    expect(retryDelay(504, "soon", 0)).toBe(1000);
    expect(retryDelay(503, "5", RETRIES)).toBeNull();
  });

  it("never retries an answer that will not change by waiting", () => {
    for (const status of [400, 404, 422, 500]) expect(retryDelay(status, "5", 0)).toBeNull();
  });
});
