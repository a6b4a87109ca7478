/**
 * Finds the `backcheck` executable to launch, in a fixed order of preference:
 * the `backcheck.path` setting, the Python extension's selected interpreter, the workspace's
 * `.venv`, then `backcheck` on PATH. Pure logic over an injected host, so it runs under plain node.
 */
import * as path from "path";

/** Where a launch command came from, in order of preference. */
export type Source = "setting" | "python-extension" | "workspace-venv" | "path";

/** How to run backcheck: `command` followed by `prefixArgs`, then a subcommand such as `serve`. */
export interface BackcheckCommand {
  command: string;
  prefixArgs: string[];
  source: Source;
}

/** One place that was looked at, and why it was not used (empty reason when it was). */
export interface Attempt {
  source: Source;
  location: string;
  reason: string;
}

export interface DiscoveryInput {
  /** Value of `backcheck.path`: a `backcheck` executable or a Python interpreter that has backcheck. */
  settingPath?: string;
  /** Interpreter selected in the Python extension, when that extension is installed. */
  pythonExtensionInterpreter?: string;
  /** Absolute paths of the workspace folders, first one first. */
  workspaceFolders: string[];
  /** The PATH the server would be started with. */
  envPath?: string;
  platform: NodeJS.Platform;
  homeDir?: string;
}

/** File-system and process probes, injected so the order of preference can be tested without a disk. */
export interface DiscoveryHost {
  isExecutable(file: string): Promise<boolean>;
  /** True when `python -c "import backcheck"` succeeds. */
  hasBackcheck(python: string): Promise<boolean>;
}

export interface DiscoveryResult {
  command?: BackcheckCommand;
  attempts: Attempt[];
  /** Set when `backcheck.path` is set but unusable: the user asked for it, so nothing else is tried. */
  settingError?: string;
}

/** Arguments for a backcheck subcommand, e.g. `argsFor(cmd, "serve")`. */
export function argsFor(cmd: BackcheckCommand, ...subcommand: string[]): string[] {
  return [...cmd.prefixArgs, ...subcommand];
}

/** A human-readable command line, for logs and messages. */
export function describe(cmd: BackcheckCommand, ...subcommand: string[]): string {
  return [cmd.command, ...argsFor(cmd, ...subcommand)].map(quoteIfNeeded).join(" ");
}

function quoteIfNeeded(part: string): string {
  return /[\s"']/.test(part) ? JSON.stringify(part) : part;
}

/** True for names like python, python3, python3.11, pythonw.exe. */
export function looksLikePython(file: string): boolean {
  // win32.basename splits on both separators, so Windows paths are recognised on any platform.
  return /^python(w)?(\d+(\.\d+)*)?(\.exe)?$/i.test(path.win32.basename(file));
}

/** Expands `~` and `${workspaceFolder}` and makes a relative setting relative to the first folder. */
export function expandSettingPath(value: string, input: DiscoveryInput): string {
  let p = value.trim();
  const folder = input.workspaceFolders[0];
  if (folder) {
    p = p.replace(/\$\{workspaceFolder\}/g, folder);
  }
  if (input.homeDir && (p === "~" || p.startsWith("~/"))) {
    p = path.join(input.homeDir, p.slice(1));
  }
  const pathApi = input.platform === "win32" ? path.win32 : path.posix;
  if (!pathApi.isAbsolute(p) && folder && (p.includes("/") || p.includes("\\"))) {
    p = pathApi.join(folder, p);
  }
  return p;
}

function venvLayout(platform: NodeJS.Platform): { dir: string; exe: string; python: string } {
  return platform === "win32"
    ? { dir: "Scripts", exe: "backcheck.exe", python: "python.exe" }
    : { dir: "bin", exe: "backcheck", python: "python" };
}

function pythonModule(python: string, source: Source): BackcheckCommand {
  return { command: python, prefixArgs: ["-m", "backcheck"], source };
}

/** Walks the sources in order and returns the first usable command, with every place it looked. */
export async function discover(input: DiscoveryInput, host: DiscoveryHost): Promise<DiscoveryResult> {
  const attempts: Attempt[] = [];
  const pathApi = input.platform === "win32" ? path.win32 : path.posix;

  const setting = input.settingPath?.trim();
  if (setting) {
    const file = expandSettingPath(setting, input);
    const isBare = !file.includes("/") && !file.includes("\\");
    const resolved = isBare ? await searchPath(file, input, host) : file;
    if (!resolved || !(await host.isExecutable(resolved))) {
      const reason = "is not an executable file";
      attempts.push({ source: "setting", location: file, reason });
      return { attempts, settingError: `backcheck.path is set to "${setting}", which ${reason}.` };
    }
    if (looksLikePython(resolved)) {
      if (!(await host.hasBackcheck(resolved))) {
        const reason = "is a Python interpreter without the backcheck package";
        attempts.push({ source: "setting", location: resolved, reason });
        return { attempts, settingError: `backcheck.path is set to "${setting}", which ${reason}.` };
      }
      attempts.push({ source: "setting", location: resolved, reason: "" });
      return { command: pythonModule(resolved, "setting"), attempts };
    }
    attempts.push({ source: "setting", location: resolved, reason: "" });
    return { command: { command: resolved, prefixArgs: [], source: "setting" }, attempts };
  }

  const selected = input.pythonExtensionInterpreter;
  if (selected) {
    if (!(await host.isExecutable(selected))) {
      attempts.push({ source: "python-extension", location: selected, reason: "does not exist" });
    } else if (!(await host.hasBackcheck(selected))) {
      attempts.push({
        source: "python-extension",
        location: selected,
        reason: "has no backcheck package installed",
      });
    } else {
      attempts.push({ source: "python-extension", location: selected, reason: "" });
      return { command: pythonModule(selected, "python-extension"), attempts };
    }
  }

  const layout = venvLayout(input.platform);
  for (const folder of input.workspaceFolders) {
    const bin = pathApi.join(folder, ".venv", layout.dir);
    const exe = pathApi.join(bin, layout.exe);
    if (await host.isExecutable(exe)) {
      attempts.push({ source: "workspace-venv", location: exe, reason: "" });
      return { command: { command: exe, prefixArgs: [], source: "workspace-venv" }, attempts };
    }
    const python = pathApi.join(bin, layout.python);
    if (await host.isExecutable(python)) {
      if (await host.hasBackcheck(python)) {
        attempts.push({ source: "workspace-venv", location: python, reason: "" });
        return { command: pythonModule(python, "workspace-venv"), attempts };
      }
      attempts.push({
        source: "workspace-venv",
        location: python,
        reason: "has no backcheck package installed",
      });
    } else {
      attempts.push({ source: "workspace-venv", location: bin, reason: "does not exist" });
    }
  }

  const onPath = await searchPath("backcheck", input, host);
  if (onPath) {
    attempts.push({ source: "path", location: onPath, reason: "" });
    return { command: { command: onPath, prefixArgs: [], source: "path" }, attempts };
  }
  attempts.push({ source: "path", location: "backcheck", reason: "is not on PATH" });
  return { attempts };
}

/** Looks `name` up in the PATH directories, honouring Windows executable extensions. */
export async function searchPath(
  name: string,
  input: DiscoveryInput,
  host: DiscoveryHost,
): Promise<string | undefined> {
  const win = input.platform === "win32";
  const pathApi = win ? path.win32 : path.posix;
  const dirs = (input.envPath ?? "").split(win ? ";" : ":").filter((d) => d.length > 0);
  const names = win && !/\.[a-z]+$/i.test(name) ? [".exe", ".cmd", ".bat"].map((e) => name + e) : [name];
  for (const dir of dirs) {
    for (const candidate of names) {
      const file = pathApi.join(dir, candidate);
      if (await host.isExecutable(file)) {
        return file;
      }
    }
  }
  return undefined;
}

/** A one-paragraph explanation for the "not found" notification, naming each place that was tried. */
export function explainFailure(result: DiscoveryResult): string {
  if (result.settingError) {
    return `${result.settingError} Fix the setting, or clear it to let backcheck look in your environment.`;
  }
  const tried = result.attempts
    .map((a) => `${SOURCE_LABELS[a.source]} (${a.location}) ${a.reason}`)
    .join("; ");
  return (
    "backcheck is not installed where the extension looks. Tried: " +
    tried +
    ". Install it into your project's environment (pip install backcheck), select that interpreter, " +
    "or set backcheck.path."
  );
}

const SOURCE_LABELS: Record<Source, string> = {
  setting: "backcheck.path",
  "python-extension": "the Python extension's interpreter",
  "workspace-venv": "the workspace .venv",
  path: "PATH",
};
