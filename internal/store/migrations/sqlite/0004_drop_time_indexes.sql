-- No query of Steward's filters incidents by (system, opened_at) or changes
-- by (system, finished_at): the store reads by seq and by key, and the
-- engine keeps its own indexes in memory. Every write had to keep these two
-- up to date all the same, at a random place in each, which cost more than
-- half of the ingest time.
DROP INDEX incidents_system_opened_at;
DROP INDEX changes_system_finished_at;
