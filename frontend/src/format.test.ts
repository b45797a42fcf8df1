import { describe, expect, it } from "vitest";
import { age, compact, percent, signed } from "./format";

describe("format", () => {
  it("compacts large numbers", () => {
    expect(compact(950)).toBe("950");
    expect(compact(1234)).toBe("1.23k");
    expect(compact(45_600)).toBe("45.6k");
    expect(compact(1_250_000)).toBe("1.25M");
    expect(compact(null)).toBe("–");
  });
  it("signs changes and percentages", () => {
    expect(signed(1500)).toBe("+1.50k");
    expect(signed(-20)).toBe("−20");
    expect(percent(0.256)).toBe("+26%");
    expect(percent(-0.034)).toBe("-3.4%");
  });
  it("says how old data is", () => {
    const now = Date.parse("2026-11-26T12:00:00Z");
    expect(age("2026-11-26T11:59:48Z", now)).toBe("12 s");
    expect(age("2026-11-26T11:55:00Z", now)).toBe("5 min");
    expect(age(null, now)).toBe("–");
  });
});
