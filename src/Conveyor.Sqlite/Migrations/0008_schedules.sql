-- Version 8: recurring schedules. The next fire time is stored, so a restart loses no tick, and every firing moves it
-- by compare-and-set (ScheduleAdvance), so of any number of schedulers exactly one fires a tick. Times are microseconds
-- since the Unix epoch, UTC; the zone is only for reading the cron expression, done in code.
-- misfire: 0 skip, 1 fire once, 2 fire each; overlap: 0 allow, 1 skip, 2 queue; source: 0 code, 1 api.
CREATE TABLE schedules (
    name          TEXT    PRIMARY KEY,
    cron          TEXT    NOT NULL,
    time_zone     TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    queue         TEXT,
    priority      INTEGER,
    misfire       INTEGER NOT NULL,
    max_catch_up  INTEGER NOT NULL,
    overlap       INTEGER NOT NULL,
    source        INTEGER NOT NULL,
    paused        INTEGER NOT NULL DEFAULT 0,
    paused_by     TEXT,
    -- NULL when the expression never fires again.
    next_fire_at  INTEGER,
    last_fired_at INTEGER,
    last_job_id   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- The scheduler's due scan and its "earliest next" read.
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE paused = 0;

-- The schedule a job was fired by (a tick or a manual trigger); NULL for every other job.
ALTER TABLE jobs ADD COLUMN schedule_name TEXT;
CREATE INDEX jobs_schedule ON jobs (schedule_name, id) WHERE schedule_name IS NOT NULL;
