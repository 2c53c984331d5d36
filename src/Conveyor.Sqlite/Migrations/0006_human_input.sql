-- Version 6: human input. The steps a handler finished (so a replay skips them) and the questions jobs ask.
-- Times are microseconds since the Unix epoch, UTC. Neither table is read or written by the claim or a completion.

-- One row per finished step of a job, written once (fenced by the attempt's lease), deleted with the job.
CREATE TABLE job_steps (
    job_id       INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    result       TEXT    NOT NULL,
    attempt      INTEGER NOT NULL,
    completed_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, name)
);

-- One row per question (job, key). state: 1 pending, 2 answered, 3 expired, 4 cancelled.
-- tenant ('' for the default) and user_id are the job's, copied when asked, so the inbox reads no job.
-- timeout_action: 0 fail, 1 use default_answer, 2 re-ask up to max_reasks times; timeout is the length of each asking.
-- allowed_users and allowed_roles are JSON arrays of text.
CREATE TABLE interactions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id         INTEGER NOT NULL,
    key            TEXT    NOT NULL,
    state          INTEGER NOT NULL,
    tenant         TEXT    NOT NULL DEFAULT '',
    user_id        TEXT,
    prompt         TEXT    NOT NULL,
    answer         TEXT,
    timeout        INTEGER NOT NULL,
    deadline       INTEGER NOT NULL,
    timeout_action INTEGER NOT NULL,
    default_answer TEXT,
    max_reasks     INTEGER NOT NULL DEFAULT 0,
    escalations    INTEGER NOT NULL DEFAULT 0,
    allowed_users  TEXT    NOT NULL DEFAULT '[]',
    allowed_roles  TEXT    NOT NULL DEFAULT '[]',
    asked_at       INTEGER NOT NULL,
    answered_at    INTEGER,
    answered_by    TEXT
);
CREATE UNIQUE INDEX interactions_job_key ON interactions (job_id, key);
-- The time-out sweep: pending questions by deadline.
CREATE INDEX interactions_deadline ON interactions (deadline) WHERE state = 1;
-- The inbox: a tenant's (and user's) questions by state, newest first.
CREATE INDEX interactions_inbox ON interactions (tenant, user_id, state, id);
