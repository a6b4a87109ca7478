/** Owns the language client: finds backcheck, starts and restarts `backcheck serve`, relays its status. */
import { execFile } from "child_process";
import { promises as fs, constants as fsConstants } from "fs";
import * as os from "os";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from "vscode-languageclient/node";
import { CLIENT_ID, CLIENT_NAME, CONFIG_SECTION, EXTENSION_ID, STATUS_NOTIFICATION } from "./constants";
import { ServerStatus } from "./format";
import { BackcheckCommand, argsFor, describe, discover, DiscoveryHost, explainFailure } from "./interpreter";
import { pythonExtensionInstalled, selectedInterpreter } from "./python";
import { nestServerSettings } from "./settings";

const PROBE_TIMEOUT_MS = 15_000;

/** Probes the real file system and interpreters. */
const nodeHost: DiscoveryHost = {
  async isExecutable(file: string): Promise<boolean> {
    try {
      const stat = await fs.stat(file);
      if (!stat.isFile()) {
        return false;
      }
      if (process.platform !== "win32") {
        await fs.access(file, fsConstants.X_OK);
      }
      return true;
    } catch {
      return false;
    }
  },
  hasBackcheck(python: string): Promise<boolean> {
    return new Promise((resolve) => {
      execFile(python, ["-c", "import backcheck"], { timeout: PROBE_TIMEOUT_MS }, (err) => resolve(!err));
    });
  },
};

/** Every `backcheck.*` key the extension contributes, read from its own package.json. */
function contributedKeys(): string[] {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  const props = ext?.packageJSON?.contributes?.configuration?.properties ?? {};
  return Object.keys(props);
}

/** The settings forwarded to the server: only those the user set, nested like `[tool.backcheck]`. */
export function serverSettings(resource?: vscode.Uri): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(undefined, resource);
  const entries = contributedKeys().map((key): [string, unknown] => {
    const seen = config.inspect(key);
    return [key, seen?.workspaceFolderValue ?? seen?.workspaceValue ?? seen?.globalValue];
  });
  return nestServerSettings(entries);
}

/** The language server's lifecycle as the UI sees it. */
export class BackcheckServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private command: BackcheckCommand | undefined;
  private busy: Promise<void> = Promise.resolve();
  private readonly stateEmitter = new vscode.EventEmitter<{ client: string; server: ServerStatus }>();
  private serverStatus: ServerStatus = {};
  private clientState = "stopped";
  // One watcher for the extension's lifetime, shared by every client it starts.
  private readonly watcher = vscode.workspace.createFileSystemWatcher("**/{*.py,pyproject.toml}");

  /** Fires whenever the client state or the server-reported status changes. */
  readonly onDidChangeStatus = this.stateEmitter.event;

  constructor(private readonly output: vscode.LogOutputChannel) {}

  /** The command that launched the running server, reused to start `backcheck tui`. */
  get backcheck(): BackcheckCommand | undefined {
    return this.command;
  }

  get isRunning(): boolean {
    return this.client?.state === State.Running;
  }

  /** Starts the server unless it is running; concurrent calls wait for the same attempt. */
  start(): Promise<void> {
    this.busy = this.busy.then(() => this.doStart()).catch((err) => this.reportError(err));
    return this.busy;
  }

  /** Stops the running server (if any) and starts it again with a fresh discovery. */
  restart(): Promise<void> {
    this.busy = this.busy
      .then(() => this.doStop())
      .then(() => this.doStart())
      .catch((err) => this.reportError(err));
    return this.busy;
  }

  stop(): Promise<void> {
    this.busy = this.busy.then(() => this.doStop()).catch((err) => this.reportError(err));
    return this.busy;
  }

  /** Runs a server command through `workspace/executeCommand`, telling the user when there is no server. */
  async executeCommand(command: string, args: unknown[] = []): Promise<unknown> {
    await this.busy;
    const client = this.client;
    if (!client || client.state !== State.Running) {
      const choice = await vscode.window.showErrorMessage(
        "The backcheck language server is not running.",
        "Restart Server",
        "Show Output",
      );
      if (choice === "Restart Server") {
        void this.restart();
      } else if (choice === "Show Output") {
        this.output.show();
      }
      return undefined;
    }
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  /** Pushes the user's `backcheck.*` settings to the running server after a change. */
  async sendSettings(): Promise<void> {
    const client = this.client;
    if (client?.state === State.Running) {
      const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
      await client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [CONFIG_SECTION]: serverSettings(resource) },
      });
    }
  }

  /** The client state ("starting", "running", "stopped") and the last status the server sent. */
  get currentStatus(): { client: string; server: ServerStatus } {
    return { client: this.clientState, server: this.serverStatus };
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.watcher.dispose();
    this.stateEmitter.dispose();
  }

  private setState(client: string): void {
    this.clientState = client;
    if (client !== "running") {
      this.serverStatus = {};
    }
    this.stateEmitter.fire(this.currentStatus);
  }

  private async doStart(): Promise<void> {
    if (this.client && this.client.state !== State.Stopped) {
      return;
    }
    // A client that gave up after repeated crashes is replaced, not revived.
    this.client = undefined;
    this.command = undefined;
    this.setState("starting");
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const settingPath = vscode.workspace.getConfiguration(CONFIG_SECTION, resource).get<string>("path");
    const result = await discover(
      {
        settingPath,
        // The Python extension is only asked (and so activated) when the setting leaves the choice open.
        pythonExtensionInterpreter: settingPath?.trim() ? undefined : await selectedInterpreter(resource),
        workspaceFolders: folders,
        envPath: process.env.PATH,
        platform: process.platform,
        homeDir: os.homedir(),
      },
      nodeHost,
    );
    for (const a of result.attempts) {
      this.output.info(`discovery: ${a.source} ${a.location} ${a.reason || "-> using it"}`);
    }
    if (!result.command) {
      this.setState("stopped");
      void this.offerFix(explainFailure(result));
      return;
    }
    this.command = result.command;
    this.output.info(`starting: ${describe(result.command, "serve")}`);

    const serverOptions: ServerOptions = {
      command: result.command.command,
      args: argsFor(result.command, "serve"),
      options: { cwd: folders[0], env: process.env },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file", language: "python" }],
      outputChannel: this.output,
      initializationOptions: serverSettings(resource),
      synchronize: {
        fileEvents: this.watcher,
      },
      diagnosticCollectionName: CLIENT_ID,
      middleware: {
        workspace: {
          // Answers workspace/configuration for our section with explicit values only, like initializationOptions.
          configuration: async (params, token, next) => {
            const fallback = await next(params, token);
            if (!Array.isArray(fallback)) {
              return fallback;
            }
            return params.items.map((item, i) =>
              item.section === CONFIG_SECTION
                ? serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : resource)
                : fallback[i],
            );
          },
        },
      },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client.onDidChangeState((e) => {
      this.setState(e.newState === State.Running ? "running" : e.newState === State.Starting ? "starting" : "stopped");
    });
    client.onNotification(STATUS_NOTIFICATION, (status: ServerStatus) => {
      this.serverStatus = status ?? {};
      this.stateEmitter.fire(this.currentStatus);
    });
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      this.client = undefined;
      this.setState("stopped");
      const detail = err instanceof Error ? err.message : String(err);
      void this.offerFix(`backcheck could not start (${describe(result.command, "serve")}): ${detail}`);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5_000);
      } catch (err) {
        this.output.warn(`stopping the server: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.setState("stopped");
  }

  private reportError(err: unknown): void {
    const detail = err instanceof Error ? err.message : String(err);
    this.output.error(detail);
    void vscode.window.showErrorMessage(`backcheck: ${detail}`, "Show Output").then((c) => c && this.output.show());
  }

  /** The "not found / failed" notification, with buttons that lead straight to a fix. */
  private async offerFix(message: string): Promise<void> {
    this.output.error(message);
    const actions = ["Open Settings", ...(pythonExtensionInstalled() ? ["Select Interpreter"] : []), "Show Output"];
    const choice = await vscode.window.showErrorMessage(message, ...actions);
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "backcheck.path");
    } else if (choice === "Select Interpreter") {
      await vscode.commands.executeCommand("python.setInterpreter");
    } else if (choice === "Show Output") {
      this.output.show();
    }
  }
}
