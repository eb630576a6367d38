import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The Flask server owns /api, /healthz and the Socket.IO endpoint; in development
// Vite proxies them so the browser still sees one origin and the session cookie works.
const backend = process.env.CHATROOM_BACKEND ?? "http://127.0.0.1:5000";

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": { target: backend, changeOrigin: false },
      "/healthz": { target: backend, changeOrigin: false },
      "/socket.io": { target: backend, ws: true, changeOrigin: false },
    },
  },
  build: {
    outDir: "dist",
    sourcemap: true,
  },
});
