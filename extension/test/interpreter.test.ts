/** Unit tests for the order in which the extension looks for backcheck; run with `npm test`. */
import assert from "node:assert/strict";
import { describe as suite, test } from "node:test";
import { argsFor, describe, discover, DiscoveryHost, DiscoveryInput, explainFailure, looksLikePython } from "../src/interpreter";

/** A fake disk: `executables` exist and are executable; `withBackcheck` interpreters can import it. */
function host(executables: string[], withBackcheck: string[] = []): DiscoveryHost & { probed: string[] } {
  const probed: string[] = [];
  return {
    probed,
    isExecutable: async (file) => executables.includes(file),
    hasBackcheck: async (python) => {
      probed.push(python);
      return withBackcheck.includes(python);
    },
  };
}

const base: DiscoveryInput = {
  workspaceFolders: ["/ws"],
  envPath: "/usr/local/bin:/usr/bin",
  platform: "linux",
  homeDir: "/home/u",
};

suite("discover", () => {
  test("the backcheck.path setting wins over everything else", async () => {
    const h = host(["/opt/bc/backcheck", "/ws/.venv/bin/backcheck", "/usr/bin/backcheck"], ["/sel/python"]);
    const r = await discover({ ...base, settingPath: "/opt/bc/backcheck", pythonExtensionInterpreter: "/sel/python" }, h);
    assert.deepEqual(r.command, { command: "/opt/bc/backcheck", prefixArgs: [], source: "setting" });
    assert.deepEqual(h.probed, []);
  });

  test("a setting that names an interpreter runs the module", async () => {
    const h = host(["/env/bin/python3.11"], ["/env/bin/python3.11"]);
    const r = await discover({ ...base, settingPath: "/env/bin/python3.11" }, h);
    assert.ok(r.command);
    assert.deepEqual(argsFor(r.command, "serve"), ["-m", "backcheck", "serve"]);
    assert.equal(r.command.command, "/env/bin/python3.11");
  });

  test("a broken setting is reported and nothing else is tried", async () => {
    const h = host(["/ws/.venv/bin/backcheck", "/usr/bin/backcheck"]);
    const r = await discover({ ...base, settingPath: "/nope/backcheck" }, h);
    assert.equal(r.command, undefined);
    assert.match(r.settingError ?? "", /\/nope\/backcheck.*not an executable/);
    assert.match(explainFailure(r), /clear it/);
  });

  test("a setting naming an interpreter without backcheck is reported", async () => {
    const r = await discover({ ...base, settingPath: "/env/bin/python" }, host(["/env/bin/python"]));
    assert.equal(r.command, undefined);
    assert.match(r.settingError ?? "", /without the backcheck package/);
  });

  test("${workspaceFolder}, ~ and relative settings are expanded", async () => {
    const h = host(["/ws/tools/backcheck", "/home/u/bin/backcheck"]);
    const a = await discover({ ...base, settingPath: "${workspaceFolder}/tools/backcheck" }, h);
    assert.equal(a.command?.command, "/ws/tools/backcheck");
    const b = await discover({ ...base, settingPath: "~/bin/backcheck" }, h);
    assert.equal(b.command?.command, "/home/u/bin/backcheck");
    const c = await discover({ ...base, settingPath: "tools/backcheck" }, h);
    assert.equal(c.command?.command, "/ws/tools/backcheck");
  });

  test("a bare command name in the setting is looked up on PATH", async () => {
    const r = await discover({ ...base, settingPath: "backcheck" }, host(["/usr/bin/backcheck"]));
    assert.equal(r.command?.command, "/usr/bin/backcheck");
    assert.equal(r.command?.source, "setting");
  });

  test("the Python extension's interpreter is used when it has backcheck", async () => {
    const h = host(["/sel/python", "/ws/.venv/bin/backcheck"], ["/sel/python"]);
    const r = await discover({ ...base, pythonExtensionInterpreter: "/sel/python" }, h);
    assert.deepEqual(r.command, { command: "/sel/python", prefixArgs: ["-m", "backcheck"], source: "python-extension" });
    assert.equal(describe(r.command!, "serve"), "/sel/python -m backcheck serve");
  });

  test("an interpreter without backcheck falls through to the workspace .venv", async () => {
    const h = host(["/sel/python", "/ws/.venv/bin/backcheck"]);
    const r = await discover({ ...base, pythonExtensionInterpreter: "/sel/python" }, h);
    assert.deepEqual(r.command, { command: "/ws/.venv/bin/backcheck", prefixArgs: [], source: "workspace-venv" });
    assert.equal(r.attempts[0].reason, "has no backcheck package installed");
  });

  test("a .venv with backcheck importable but no console script runs the module", async () => {
    const h = host(["/ws/.venv/bin/python"], ["/ws/.venv/bin/python"]);
    const r = await discover(base, h);
    assert.deepEqual(r.command, { command: "/ws/.venv/bin/python", prefixArgs: ["-m", "backcheck"], source: "workspace-venv" });
  });

  test("every workspace folder's .venv is tried in order", async () => {
    const h = host(["/b/.venv/bin/backcheck"]);
    const r = await discover({ ...base, workspaceFolders: ["/a", "/b"] }, h);
    assert.equal(r.command?.command, "/b/.venv/bin/backcheck");
  });

  test("PATH is the last resort", async () => {
    const r = await discover(base, host(["/usr/bin/backcheck"]));
    assert.deepEqual(r.command, { command: "/usr/bin/backcheck", prefixArgs: [], source: "path" });
  });

  test("nothing found: the failure names every place tried and how to fix it", async () => {
    const r = await discover({ ...base, pythonExtensionInterpreter: "/sel/python" }, host(["/sel/python"]));
    assert.equal(r.command, undefined);
    assert.deepEqual(
      r.attempts.map((a) => a.source),
      ["python-extension", "workspace-venv", "path"],
    );
    const text = explainFailure(r);
    assert.match(text, /\/sel\/python/);
    assert.match(text, /\.venv/);
    assert.match(text, /pip install backcheck/);
    assert.match(text, /backcheck\.path/);
  });

  test("Windows layouts: Scripts\\backcheck.exe and PATH extensions", async () => {
    const win: DiscoveryInput = { workspaceFolders: ["C:\\ws"], envPath: "C:\\py;C:\\tools", platform: "win32" };
    const a = await discover(win, host(["C:\\ws\\.venv\\Scripts\\backcheck.exe"]));
    assert.equal(a.command?.command, "C:\\ws\\.venv\\Scripts\\backcheck.exe");
    const b = await discover(win, host(["C:\\tools\\backcheck.cmd"]));
    assert.equal(b.command?.command, "C:\\tools\\backcheck.cmd");
  });
});

suite("looksLikePython", () => {
  test("recognises interpreter names and rejects others", () => {
    for (const name of ["/x/python", "/x/python3", "/x/python3.11", "C:\\x\\python.exe", "pythonw.exe"]) {
      assert.ok(looksLikePython(name), name);
    }
    for (const name of ["/x/backcheck", "/x/python-config", "/x/ipython"]) {
      assert.ok(!looksLikePython(name), name);
    }
  });
});
