import { describe, expect, it } from "vitest";
import { channelHref, languageBars, languageName } from "./channels";

describe("channels", () => {
  it("links a channel by its login, else its id", () => {
    expect(channelHref("twitch", { channel_id: "101", user_login: "big_one" })).toBe("#/channel/twitch/big_one");
    expect(channelHref("youtube", { channel_id: "UC x", user_login: null })).toBe("#/channel/youtube/UC%20x");
  });
  it("names languages and keeps unknown codes as written", () => {
    expect(languageName("de")).toBe("German");
    expect(languageName("unknown")).toBe("not given");
    expect(languageName("qq")).toBe("qq");
  });
  it("draws the most watched languages and folds the rest into other", () => {
    const share = (language: string, share_hours_watched: number) =>
      ({ language, share_hours_watched, hours_watched: 1, channels: 1, share_channels: 0.1 });
    const bars = languageBars([share("en", 0.5), share("de", 0.3), share("ko", 0.15), share("es", 0.05)], 2);
    expect(bars.map((b) => b.label)).toEqual(["English", "German", "other"]);
    expect(bars[2].share).toBeCloseTo(0.2);
  });
});
