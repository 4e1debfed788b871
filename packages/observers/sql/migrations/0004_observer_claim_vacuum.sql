-- The claim table is a queue: every event inserts one row and deletes it moments later. Vacuum
-- it after a fixed number of dead rows instead of a fraction of its (tiny) size, so scans over
-- its indexes do not wade through dead entries under a sustained load.
ALTER TABLE core.tb_observer_claim SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 5000
);
