import { useEffect, useState } from "react";
import { PLATFORMS, PLATFORM_LABEL, type Platform } from "./api";
import { Home } from "./pages/Home";
import { PlatformPage } from "./pages/PlatformPage";
import { GamePage } from "./pages/GamePage";
import { MonthsPage } from "./pages/MonthsPage";
import { ChannelsPage } from "./pages/ChannelsPage";
import { ChannelPage } from "./pages/ChannelPage";

type Route =
  | { page: "home" }
  | { page: "platform"; platform: Platform }
  | { page: "months"; platform: Platform; month: string | null }
  | { page: "channels"; platform: Platform; month: string | null }
  | { page: "channel"; platform: Platform; channel: string }
  | { page: "game"; key: string };

/** Hash routes, so `gst api` can serve the built files from / without rewrite rules. A game's route
 * is its slug (a key or name works too). */
export function parseRoute(hash: string): Route {
  const [, kind, arg, sub, month] = hash.replace(/^#/, "").split("/");
  if (kind === "platform" && (PLATFORMS as readonly string[]).includes(arg)) {
    const chosen = /^\d{4}-\d{2}$/.test(month ?? "") ? month : null;
    if (sub === "months") return { page: "months", platform: arg as Platform, month: chosen };
    if (sub === "channels" && arg !== "steam") return { page: "channels", platform: arg as Platform, month: chosen };
    return { page: "platform", platform: arg as Platform };
  }
  if (kind === "game" && arg) return { page: "game", key: decodeURIComponent(arg) };
  if (kind === "channel" && (arg === "twitch" || arg === "youtube") && sub) {
    return { page: "channel", platform: arg, channel: decodeURIComponent(sub) };
  }
  return { page: "home" };
}

export function App() {
  const [route, setRoute] = useState<Route>(parseRoute(window.location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  return (
    <>
      <header className="top">
        <a className="brand" href="#/">Game Stream Trends</a>
        <nav>
          {PLATFORMS.map((p) => (
            <a key={p} href={`#/platform/${p}`}
               className={(route.page === "platform" || route.page === "months" || route.page === "channels") && route.platform === p ? "active" : ""}>
              {PLATFORM_LABEL[p]}
            </a>
          ))}
        </nav>
      </header>
      <main>
        {route.page === "home" && <Home />}
        {route.page === "platform" && <PlatformPage platform={route.platform} />}
        {route.page === "months" && <MonthsPage platform={route.platform} month={route.month} />}
        {route.page === "channels" && <ChannelsPage platform={route.platform} month={route.month} />}
        {route.page === "channel" && <ChannelPage platform={route.platform} channel={route.channel} />}
        {route.page === "game" && <GamePage gameKey={route.key} />}
      </main>
    </>
  );
}
