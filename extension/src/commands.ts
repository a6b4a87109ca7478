/** The palette commands; each one is a thin call into the server or the editor UI. */
import * as vscode from "vscode";
import { BackcheckServer } from "./client";
import { Commands, COMPANION_TERMINAL_NAME, ServerCommands } from "./constants";
import { resultMessage, routeItems, testsFailed, testSummary } from "./format";
import { argsFor } from "./interpreter";

function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Shows a server command's `{status, message}` answer, as a warning when it did not go through. */
function showResult(result: unknown): void {
  const shown = resultMessage(result);
  if (shown) {
    const show = shown.warning ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(`backcheck: ${shown.text}`);
  }
}

async function runAgentTask(server: BackcheckServer): Promise<void> {
  const task = await vscode.window.showInputBox({
    title: "backcheck: Run Agent Task",
    prompt: "Describe the backend feature the agent should implement",
    placeHolder: "e.g. Add POST /orders/{id}/refund for admins, with an audit log entry",
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim().length === 0 ? "Describe the task in a sentence or more." : undefined),
  });
  if (!task) {
    return;
  }
  // Progress and cancellation arrive as $/progress, which the client shows as a notification.
  try {
    showResult(await server.executeCommand(ServerCommands.runTask, [{ task: task.trim() }]));
  } catch (err) {
    void vscode.window.showErrorMessage(`backcheck: the agent task failed: ${errorText(err)}`);
  }
}

async function cancelAgentTask(server: BackcheckServer): Promise<void> {
  try {
    showResult(await server.executeCommand(ServerCommands.cancelTask, []));
  } catch (err) {
    void vscode.window.showErrorMessage(`backcheck: could not cancel the task: ${errorText(err)}`);
  }
}

function openCompanion(server: BackcheckServer): void {
  const existing = vscode.window.terminals.find((t) => t.name === COMPANION_TERMINAL_NAME && t.exitStatus === undefined);
  if (existing) {
    existing.show();
    return;
  }
  const cmd = server.backcheck;
  if (!cmd) {
    void vscode.window.showErrorMessage(
      "backcheck was not found, so the companion cannot start. Run 'backcheck: Restart Server' after installing it.",
    );
    return;
  }
  const root = workspaceRoot();
  const terminal = vscode.window.createTerminal({
    name: COMPANION_TERMINAL_NAME,
    shellPath: cmd.command,
    shellArgs: argsFor(cmd, "tui", ...(root ? [root] : [])),
    cwd: root,
    location: { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
    iconPath: new vscode.ThemeIcon("checklist"),
  });
  terminal.show();
}

async function runTests(server: BackcheckServer): Promise<void> {
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "backcheck: running the project's tests" },
    async () => {
      try {
        const result = await server.executeCommand(ServerCommands.runTests, []);
        if (result !== undefined) {
          const show = testsFailed(result) ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
          void show(`backcheck: ${testSummary(result)}`);
        }
      } catch (err) {
        void vscode.window.showErrorMessage(`backcheck: running the tests failed: ${errorText(err)}`);
      }
    },
  );
}

async function showRoutes(server: BackcheckServer): Promise<void> {
  let result: unknown;
  try {
    result = await server.executeCommand(ServerCommands.showRoutes, []);
  } catch (err) {
    void vscode.window.showErrorMessage(`backcheck: could not list routes: ${errorText(err)}`);
    return;
  }
  if (result === undefined) {
    return;
  }
  const items = routeItems(result, workspaceRoot());
  if (items.length === 0) {
    void vscode.window.showInformationMessage("backcheck found no routes in this workspace.");
    return;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: `backcheck: ${items.length} route${items.length === 1 ? "" : "s"}`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (picked) {
    const position = new vscode.Position(picked.line, 0);
    await vscode.window.showTextDocument(vscode.Uri.file(picked.file), {
      selection: new vscode.Range(position, position),
    });
  }
}

async function checkWorkspace(server: BackcheckServer): Promise<void> {
  try {
    await server.executeCommand(ServerCommands.checkWorkspace, []);
  } catch (err) {
    void vscode.window.showErrorMessage(`backcheck: the workspace check failed: ${errorText(err)}`);
  }
}

/** Registers every palette command. */
export function registerCommands(
  context: vscode.ExtensionContext,
  server: BackcheckServer,
  output: vscode.OutputChannel,
): void {
  const register = (id: string, fn: () => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  register(Commands.runAgentTask, () => runAgentTask(server));
  register(Commands.cancelAgentTask, () => cancelAgentTask(server));
  register(Commands.openCompanion, () => openCompanion(server));
  register(Commands.runTests, () => runTests(server));
  register(Commands.showRoutes, () => showRoutes(server));
  register(Commands.checkWorkspace, () => checkWorkspace(server));
  register(Commands.restartServer, () => server.restart());
  register(Commands.showOutput, () => output.show());
}
