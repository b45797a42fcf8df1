import { useEffect, useState } from "react";
import { PLATFORMS, PLATFORM_LABEL, type Platform } from "./api";
import { Home } from "./pages/Home";
import { PlatformPage } from "./pages/PlatformPage";
import { GamePage } from "./pages/GamePage";

type Route = { page: "home" } | { page: "platform"; platform: Platform } | { page: "game"; key: string };

/** Hash routes, so `gst api` can serve the built files from / without rewrite rules. */
export function parseRoute(hash: string): Route {
  const [, kind, arg] = hash.replace(/^#/, "").split("/");
  if (kind === "platform" && (PLATFORMS as readonly string[]).includes(arg)) return { page: "platform", platform: arg as Platform };
  if (kind === "game" && arg) return { page: "game", key: decodeURIComponent(arg) };
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
            <a key={p} href={`#/platform/${p}`} className={route.page === "platform" && route.platform === p ? "active" : ""}>
              {PLATFORM_LABEL[p]}
            </a>
          ))}
        </nav>
      </header>
      <main>
        {route.page === "home" && <Home />}
        {route.page === "platform" && <PlatformPage platform={route.platform} />}
        {route.page === "game" && <GamePage gameKey={route.key} />}
      </main>
    </>
  );
}
