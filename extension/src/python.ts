/** Reads the interpreter selected in the Python extension through its public environments API. */
import * as vscode from "vscode";
import { PYTHON_EXTENSION_ID } from "./constants";

/** The part of the Python extension's `environments` API that backcheck uses. */
interface EnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
  resolveEnvironment(
    env: { id: string; path: string } | string,
  ): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
}

const ACTIVATION_TIMEOUT_MS = 10_000;

async function environmentsApi(): Promise<EnvironmentsApi | undefined> {
  const ext = vscode.extensions.getExtension<{ environments?: EnvironmentsApi }>(PYTHON_EXTENSION_ID);
  if (!ext) {
    return undefined;
  }
  // A hung activation of another extension must not stop backcheck from starting.
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ACTIVATION_TIMEOUT_MS));
  const api = ext.isActive ? ext.exports : await Promise.race([ext.activate(), timeout]);
  return api?.environments;
}

/** True when the Python extension is installed, so "Select Interpreter" can be offered. */
export function pythonExtensionInstalled(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

/** The selected interpreter's executable for `resource`, or undefined when there is none or no extension. */
export async function selectedInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  try {
    const api = await environmentsApi();
    if (!api) {
      return undefined;
    }
    const active = api.getActiveEnvironmentPath(resource);
    const resolved = await api.resolveEnvironment(active);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch {
    return undefined;
  }
}

/** Calls `listener` when the user selects another interpreter; undefined without the Python extension. */
export async function onInterpreterChanged(listener: () => void): Promise<vscode.Disposable | undefined> {
  try {
    const api = await environmentsApi();
    return api?.onDidChangeActiveEnvironmentPath(() => listener());
  } catch {
    return undefined;
  }
}
