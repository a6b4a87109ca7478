/** Turns server command results and status into text for the UI; no `vscode` imports, so unit-testable. */
import * as path from "path";

/** A route as `backcheck.showRoutes` reports it (the same shape as `backcheck routes --format json`). */
export interface Route {
  file: string;
  line: number;
  function?: string;
  methods?: string[];
  path: string;
  framework?: string;
  auth?: boolean;
  auth_via?: string[];
  public?: boolean;
}

/** One Show Routes entry: what the quick pick shows and where choosing it goes (line is 0-based). */
export interface RouteItem {
  label: string;
  description: string;
  detail: string;
  file: string;
  line: number;
}

/** Accepts `{routes: [...]}` or a bare list, ignoring entries that lack a path or file. */
export function parseRoutes(result: unknown): Route[] {
  const list = Array.isArray(result)
    ? result
    : result && typeof result === "object" && Array.isArray((result as { routes?: unknown }).routes)
      ? (result as { routes: unknown[] }).routes
      : [];
  return list.filter(
    (r): r is Route =>
      !!r && typeof r === "object" && typeof (r as Route).path === "string" && typeof (r as Route).file === "string",
  );
}

/** Quick-pick entries for routes, unauthenticated non-public routes first so they stand out. */
export function routeItems(result: unknown, workspaceRoot: string | undefined): RouteItem[] {
  const routes = parseRoutes(result);
  const exposed = (r: Route) => (r.auth === false && !r.public ? 0 : 1);
  return [...routes]
    .sort((a, b) => exposed(a) - exposed(b) || a.path.localeCompare(b.path))
    .map((r) => {
      const methods = (r.methods ?? []).join(",") || "ANY";
      const auth = r.public
        ? "public"
        : r.auth
          ? `auth: ${(r.auth_via ?? []).join(", ") || "yes"}`
          : "NO AUTH";
      const file = path.isAbsolute(r.file) || !workspaceRoot ? r.file : path.join(workspaceRoot, r.file);
      const line = Math.max(0, (Number.isFinite(r.line) ? r.line : 1) - 1);
      return {
        label: `${methods} ${r.path}`,
        description: [r.function, r.framework].filter(Boolean).join(" · "),
        detail: `${auth} — ${r.file}:${line + 1}`,
        file,
        line,
      };
    });
}

/** "3 passed, 1 failed" from a test-run result, or a generic line when the shape is unknown. */
export function testSummary(result: unknown): string {
  if (result && typeof result === "object") {
    const r = result as Record<string, unknown>;
    if (typeof r.summary === "string" && r.summary.length > 0) {
      return r.summary;
    }
    const counts = ["passed", "failed", "errors", "skipped"]
      .filter((k) => typeof r[k] === "number")
      .map((k) => `${r[k]} ${k}`);
    if (counts.length > 0) {
      return counts.join(", ");
    }
  }
  return "Tests finished; see the Problems panel for failures.";
}

/** How a command's `{status, message}` result is shown: a warning when it did not go through. */
export function resultMessage(result: unknown): { text: string; warning: boolean } | undefined {
  if (!result || typeof result !== "object") {
    return undefined;
  }
  const r = result as { status?: unknown; message?: unknown; cancelled?: unknown };
  if (typeof r.message !== "string" || r.message.length === 0) {
    return undefined;
  }
  const failed = ["error", "busy", "failed"].includes(String(r.status)) || r.cancelled === false;
  return { text: r.message, warning: failed };
}

/** True when a test run's result reports failures or could not run. */
export function testsFailed(result: unknown): boolean {
  if (!result || typeof result !== "object") {
    return false;
  }
  const r = result as Record<string, unknown>;
  return r.status === "error" || Number(r.failed ?? 0) > 0 || Number(r.errors ?? 0) > 0;
}

/** What the server says about itself in a `backcheck/status` notification. */
export interface ServerStatus {
  state?: string;
  phase?: string;
  message?: string;
}

/** Status-bar text and tooltip for the client state ("starting", "running", "stopped") plus server status. */
export function statusText(clientState: string, server: ServerStatus = {}): { text: string; tooltip: string } {
  if (clientState === "starting") {
    return { text: "$(loading~spin) backcheck", tooltip: "backcheck: starting the language server" };
  }
  if (clientState !== "running") {
    return { text: "$(error) backcheck", tooltip: "backcheck: the language server is not running (click for its output)" };
  }
  const busy = server.state && !["idle", "ready", "running"].includes(server.state);
  if (server.phase) {
    return {
      text: `$(loading~spin) backcheck: ${server.phase}`,
      tooltip: `backcheck: agent task in phase "${server.phase}"${server.message ? ` — ${server.message}` : ""}`,
    };
  }
  if (busy) {
    return {
      text: `$(loading~spin) backcheck: ${server.state}`,
      tooltip: `backcheck: ${server.message ?? server.state}`,
    };
  }
  return { text: "$(check) backcheck", tooltip: `backcheck: ready${server.message ? ` — ${server.message}` : ""}` };
}
