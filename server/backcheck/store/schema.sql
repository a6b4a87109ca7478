-- The backcheck store: <workspace>/.backcheck/state.db, shared by the server, CLI, agent and TUI.
--
-- Each "-- version: N" section migrates a database from version N-1 to N; db.py runs, in one
-- transaction each, the sections above the database's PRAGMA user_version and then sets it.
-- Sections are append-only: never edit a released section, add a new one.
-- Timestamps are Unix epoch seconds (REAL, UTC).

-- version: 1
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'failed', 'cancelled')),
    current_phase TEXT NOT NULL DEFAULT 'analyze',
    created REAL NOT NULL,
    updated REAL NOT NULL
);

CREATE TABLE phase_transitions (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    phase TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('started', 'done', 'reopened', 'failed')),
    actor TEXT NOT NULL CHECK (actor IN ('person', 'agent')),
    at REAL NOT NULL,
    note TEXT
);
CREATE INDEX phase_transitions_task ON phase_transitions(task_id, id);

CREATE TABLE research_notes (
    id INTEGER PRIMARY KEY,
    task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    topic TEXT NOT NULL,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL DEFAULT '',
    sources TEXT NOT NULL DEFAULT '[]',  -- JSON list of URLs
    created REAL NOT NULL
);
CREATE INDEX research_notes_topic ON research_notes(topic, created);

CREATE TABLE test_runs (
    id INTEGER PRIMARY KEY,
    task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    command TEXT NOT NULL,  -- JSON list of argv
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'passed', 'failed', 'error', 'interrupted')),
    exit_code INTEGER,
    total INTEGER,  -- tests collected, known once collection ends
    passed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    pid INTEGER
);

CREATE TABLE test_results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES test_runs(id) ON DELETE CASCADE,
    nodeid TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'failed', 'skipped', 'error', 'xfailed', 'xpassed')),
    duration REAL NOT NULL DEFAULT 0,
    file TEXT,
    line INTEGER,  -- 1-based
    failure_text TEXT,
    at REAL NOT NULL
);
CREATE INDEX test_results_run ON test_results(run_id, id);

CREATE TABLE checklist_snapshots (
    id INTEGER PRIMARY KEY,
    task_id INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
    items TEXT NOT NULL,  -- JSON list of {key, title, ok, detail, where}
    at REAL NOT NULL
);

CREATE TABLE agent_messages (
    id INTEGER PRIMARY KEY,
    task_id INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
    role TEXT NOT NULL,  -- user | assistant | tool_use | tool_result | system | error
    content TEXT NOT NULL,  -- JSON value
    tool_name TEXT,
    at REAL NOT NULL
);
CREATE INDEX agent_messages_task ON agent_messages(task_id, id);

CREATE TABLE agent_usage (
    id INTEGER PRIMARY KEY,
    task_id INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    at REAL NOT NULL
);

-- version: 2
-- Agent runs, so a person can ask a running agent to stop from the TUI.
CREATE TABLE agent_runs (
    id INTEGER PRIMARY KEY,
    task_id INTEGER REFERENCES tasks(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    pid INTEGER,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'done', 'failed', 'stopped', 'budget')),
    stop_requested REAL,  -- set by a person; the agent checks it between turns
    detail TEXT
);
ALTER TABLE agent_messages ADD COLUMN run_id INTEGER REFERENCES agent_runs(id);
ALTER TABLE agent_usage ADD COLUMN run_id INTEGER REFERENCES agent_runs(id);
