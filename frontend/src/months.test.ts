import { describe, expect, it } from "vitest";
import { coverageNote } from "./months";

describe("months", () => {
  it("marks a finished month covered below 95%", () => {
    expect(coverageNote({ coverage: 0.62, is_partial: false })).toBe("62% covered");
    expect(coverageNote({ coverage: 0.9499, is_partial: false })).toBe("94% covered");
  });
  it("leaves covered, running and unknown months unmarked", () => {
    expect(coverageNote({ coverage: 0.95, is_partial: false })).toBeNull();
    expect(coverageNote({ coverage: 0.3, is_partial: true })).toBeNull();
    expect(coverageNote({ is_partial: false })).toBeNull();
  });
});
