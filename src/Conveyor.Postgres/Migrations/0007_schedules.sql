-- Version 7: recurring schedules. The next fire time is stored, so a restart loses no tick, and every firing moves it
-- by compare-and-set (ScheduleAdvance, under the row lock of READ COMMITTED), so of any number of schedulers on any
-- number of nodes exactly one fires a tick. The zone is only for reading the cron expression, done in code.
-- misfire: 0 skip, 1 fire once, 2 fire each; overlap: 0 allow, 1 skip, 2 queue; source: 0 code, 1 api.
CREATE TABLE {schema}.schedules (
    name          text        PRIMARY KEY,
    cron          text        NOT NULL,
    time_zone     text        NOT NULL,
    kind          text        NOT NULL,
    payload       text        NOT NULL,
    queue         text,
    priority      smallint,
    misfire       smallint    NOT NULL,
    max_catch_up  integer     NOT NULL,
    overlap       smallint    NOT NULL,
    source        smallint    NOT NULL,
    paused        boolean     NOT NULL DEFAULT false,
    paused_by     text,
    -- NULL when the expression never fires again.
    next_fire_at  timestamptz,
    last_fired_at timestamptz,
    last_job_id   bigint,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
-- The scheduler's due scan and its "earliest next" read.
CREATE INDEX schedules_due ON {schema}.schedules (next_fire_at) WHERE NOT paused;

-- The schedule a job was fired by (a tick or a manual trigger); NULL for every other job.
ALTER TABLE {schema}.jobs ADD COLUMN schedule_name text;
CREATE INDEX jobs_schedule ON {schema}.jobs (schedule_name, id) WHERE schedule_name IS NOT NULL;
