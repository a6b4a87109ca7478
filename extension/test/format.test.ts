/** Unit tests for how server results and status are shown. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRoutes, resultMessage, routeItems, statusText, testsFailed, testSummary } from "../src/format";
import { isClientSetting, nestServerSettings } from "../src/settings";

const routes = {
  routes: [
    { file: "app/items.py", line: 12, function: "list_items", methods: ["GET"], path: "/items", framework: "fastapi", auth: true, auth_via: ["get_current_user"], public: false },
    { file: "app/items.py", line: 30, function: "delete_item", methods: ["DELETE"], path: "/items/{id}", framework: "fastapi", auth: false, auth_via: [], public: false },
    { file: "app/health.py", line: 3, function: "health", methods: ["GET"], path: "/health", framework: "fastapi", auth: false, auth_via: [], public: true },
    { nonsense: true },
  ],
};

test("routes: unauthenticated first, paths resolved, lines made 0-based", () => {
  const items = routeItems(routes, "/ws");
  assert.equal(items.length, 3);
  assert.equal(items[0].label, "DELETE /items/{id}");
  assert.match(items[0].detail, /^NO AUTH/);
  assert.equal(items[0].file, "/ws/app/items.py");
  assert.equal(items[0].line, 29);
  assert.match(items.find((i) => i.label === "GET /items")!.detail, /auth: get_current_user/);
  assert.match(items.find((i) => i.label === "GET /health")!.detail, /^public/);
});

test("routes: a bare list and junk are accepted", () => {
  assert.equal(parseRoutes(routes.routes).length, 3);
  assert.deepEqual(parseRoutes(null), []);
  assert.deepEqual(parseRoutes("x"), []);
});

test("test summary from counts, from text, and from an unknown shape", () => {
  assert.equal(testSummary({ passed: 3, failed: 1 }), "3 passed, 1 failed");
  assert.equal(testSummary({ summary: "all 7 passed" }), "all 7 passed");
  assert.match(testSummary(null), /Problems panel/);
});

test("status text follows the client state and the task phase", () => {
  assert.match(statusText("starting").text, /loading~spin/);
  assert.match(statusText("stopped").text, /error/);
  assert.equal(statusText("running", { state: "idle" }).text, "$(check) backcheck");
  assert.equal(statusText("running", { state: "task", phase: "research" }).text, "$(loading~spin) backcheck: research");
  assert.equal(statusText("running", { state: "scanning" }).text, "$(loading~spin) backcheck: scanning");
});

test("server settings: only set values, nested, client-side ones left out", () => {
  const nested = nestServerSettings([
    ["backcheck.path", "/x/backcheck"],
    ["backcheck.trace.server", "verbose"],
    ["backcheck.public", ["/health"]],
    ["backcheck.select", undefined],
    ["backcheck.agent.model", "m"],
    ["backcheck.agent.max_turns", 3],
    ["other.key", 1],
  ]);
  assert.deepEqual(nested, { public: ["/health"], agent: { model: "m", max_turns: 3 } });
  assert.ok(isClientSetting("backcheck.trace.server"));
  assert.ok(!isClientSetting("backcheck.agent.model"));
});

test("command results: warnings for refusals, info otherwise", () => {
  assert.deepEqual(resultMessage({ status: "busy", message: "already running" }), { text: "already running", warning: true });
  assert.deepEqual(resultMessage({ status: "done", message: "3 files changed" }), { text: "3 files changed", warning: false });
  assert.deepEqual(resultMessage({ cancelled: false, message: "No agent task is running." })?.warning, true);
  assert.equal(resultMessage(null), undefined);
  assert.ok(testsFailed({ passed: 3, failed: 1 }));
  assert.ok(testsFailed({ summary: "x", status: "error" }));
  assert.ok(!testsFailed({ passed: 3, failed: 0, errors: 0 }));
});
