import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API of a running `gst demo`; `npm run build` writes the built files into
// the Python package (realtime_api/dashboard/, package data found with importlib.resources), which
// `gst api` serves at /. emptyOutDir: Vite empties a folder outside frontend/ only when told to.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "../realtime_api/dashboard", emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/ws": { target: "ws://127.0.0.1:8000", ws: true },
    },
  },
});
