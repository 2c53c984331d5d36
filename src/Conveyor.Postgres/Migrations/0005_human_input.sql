-- Conveyor's PostgreSQL schema, version 5: human input. The steps a handler finished (so a replay skips them) and the
-- questions jobs ask. Neither table is read or written by the claim or a completion.

-- One row per finished step of a job, written once (fenced by the attempt's lease), deleted with the job.
CREATE TABLE {schema}.job_steps (
    job_id       bigint      NOT NULL,
    name         text        NOT NULL,
    result       text        NOT NULL,
    attempt      integer     NOT NULL,
    completed_at timestamptz NOT NULL,
    PRIMARY KEY (job_id, name)
);

-- One row per question (job, key). state: 1 pending, 2 answered, 3 expired, 4 cancelled.
-- tenant ('' for the default) and user_id are the job's, copied when asked, so the inbox reads no job.
-- timeout_action: 0 fail, 1 use default_answer, 2 re-ask up to max_reasks times; timeout is the length of each asking.
CREATE TABLE {schema}.interactions (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id         bigint      NOT NULL,
    key            text        NOT NULL,
    state          smallint    NOT NULL,
    tenant         text        NOT NULL DEFAULT '',
    user_id        text,
    prompt         text        NOT NULL,
    answer         text,
    timeout        interval    NOT NULL,
    deadline       timestamptz NOT NULL,
    timeout_action smallint    NOT NULL,
    default_answer text,
    max_reasks     integer     NOT NULL DEFAULT 0,
    escalations    integer     NOT NULL DEFAULT 0,
    allowed_users  text[]      NOT NULL DEFAULT '{}',
    allowed_roles  text[]      NOT NULL DEFAULT '{}',
    asked_at       timestamptz NOT NULL,
    answered_at    timestamptz,
    answered_by    text
);
CREATE UNIQUE INDEX interactions_job_key ON {schema}.interactions (job_id, key);
-- The time-out sweep: pending questions by deadline.
CREATE INDEX interactions_deadline ON {schema}.interactions (deadline) WHERE state = 1;
-- The inbox: a tenant's (and user's) questions by state, newest first.
CREATE INDEX interactions_inbox ON {schema}.interactions (tenant, user_id, state, id);
