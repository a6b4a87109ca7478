/** Identifiers shared by the extension's modules; kept free of `vscode` imports so unit tests can load them. */

/** Language client id; also the prefix of the `backcheck.trace.server` setting the client reads. */
export const CLIENT_ID = "backcheck";
/** `publisher.name` from package.json. */
export const EXTENSION_ID = "backcheck.backcheck";
export const CLIENT_NAME = "backcheck";
export const CONFIG_SECTION = "backcheck";
export const OUTPUT_CHANNEL_NAME = "backcheck";
export const COMPANION_TERMINAL_NAME = "backcheck companion";

/** Settings read by the extension itself; every other `backcheck.*` setting is forwarded to the server. */
export const CLIENT_SETTINGS = ["path", "trace"] as const;

/** Commands this extension contributes to the palette (distinct from the server's own command ids). */
export const Commands = {
  runAgentTask: "backcheck.agent.run",
  cancelAgentTask: "backcheck.agent.cancel",
  openCompanion: "backcheck.companion.open",
  runTests: "backcheck.tests.run",
  showRoutes: "backcheck.routes.show",
  checkWorkspace: "backcheck.workspace.check",
  restartServer: "backcheck.server.restart",
  showOutput: "backcheck.server.showOutput",
} as const;

/** Commands the language server implements through `workspace/executeCommand`. */
export const ServerCommands = {
  checkWorkspace: "backcheck.checkWorkspace",
  showRoutes: "backcheck.showRoutes",
  runTests: "backcheck.runTests",
  runTask: "backcheck.runTask",
  cancelTask: "backcheck.cancelTask",
} as const;

/** Custom notification the server may send with its state and the agent task's current phase. */
export const STATUS_NOTIFICATION = "backcheck/status";

/** The Python extension, whose selected interpreter is one place backcheck may be installed. */
export const PYTHON_EXTENSION_ID = "ms-python.python";
