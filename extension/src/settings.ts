/**
 * Builds the settings object sent to the server: only values the user set, nested like
 * `[tool.backcheck]` (`backcheck.agent.model` becomes `{agent: {model}}`), so that editor defaults
 * never override what the project's pyproject.toml says. No `vscode` imports, so unit-testable.
 */
import { CLIENT_SETTINGS, CONFIG_SECTION } from "./constants";

/** True for settings the extension reads itself (`backcheck.path`, `backcheck.trace.*`). */
export function isClientSetting(key: string): boolean {
  const name = key.startsWith(`${CONFIG_SECTION}.`) ? key.slice(CONFIG_SECTION.length + 1) : key;
  const head = name.split(".")[0];
  return (CLIENT_SETTINGS as readonly string[]).includes(head);
}

/** Nests explicitly set `backcheck.*` values; `undefined` values (not set anywhere) are left out. */
export function nestServerSettings(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    if (value === undefined || !key.startsWith(`${CONFIG_SECTION}.`) || isClientSetting(key)) {
      continue;
    }
    const parts = key.slice(CONFIG_SECTION.length + 1).split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node = (next && typeof next === "object" ? next : (node[part] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}
