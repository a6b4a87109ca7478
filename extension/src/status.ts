/** The status-bar item: server state, and the agent task's phase while one runs. */
import * as vscode from "vscode";
import { Commands } from "./constants";
import { ServerStatus, statusText } from "./format";

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("backcheck.status", vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = "backcheck";
    this.item.command = Commands.showOutput;
    this.update("starting", {});
    this.item.show();
  }

  update(clientState: string, server: ServerStatus): void {
    const { text, tooltip } = statusText(clientState, server);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor =
      clientState === "stopped" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
