/** Entry point: wires the output channel, status bar, commands and the language server together. */
import * as vscode from "vscode";
import { BackcheckServer } from "./client";
import { registerCommands } from "./commands";
import { CONFIG_SECTION, OUTPUT_CHANNEL_NAME } from "./constants";
import { onInterpreterChanged } from "./python";
import { StatusItem } from "./status";

let server: BackcheckServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  const status = new StatusItem();
  server = new BackcheckServer(output);
  const current = server;
  context.subscriptions.push(output, status, current);
  context.subscriptions.push(current.onDidChangeStatus((s) => status.update(s.client, s.server)));
  registerCommands(context, current, output);

  // A different executable means a different server; other settings reach it via didChangeConfiguration.
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${CONFIG_SECTION}.path`)) {
        void current.restart();
      } else if (e.affectsConfiguration(CONFIG_SECTION)) {
        void current.sendSettings();
      }
    }),
  );
  const interpreterWatch = await onInterpreterChanged(() => {
    if (current.backcheck?.source !== "setting") {
      void current.restart();
    }
  });
  if (interpreterWatch) {
    context.subscriptions.push(interpreterWatch);
  }
  await current.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
