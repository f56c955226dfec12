-- The fields SPEC 2 added to incidents and changes. Sign-offs, action items
-- and the list of estimated times are JSON arrays as TEXT (NULL when there
-- are none); their times are RFC 3339 in UTC. Incidents stored before have
-- no category: 'none', the default.
ALTER TABLE incidents ADD COLUMN category TEXT NOT NULL DEFAULT 'none';
ALTER TABLE incidents ADD COLUMN impact_started_at INTEGER;
ALTER TABLE incidents ADD COLUMN mitigated_at INTEGER;
ALTER TABLE incidents ADD COLUMN review_signoffs TEXT;
ALTER TABLE incidents ADD COLUMN review_actions TEXT;
ALTER TABLE incidents ADD COLUMN estimated TEXT;

ALTER TABLE changes ADD COLUMN approved_at INTEGER;
ALTER TABLE changes ADD COLUMN planned_start INTEGER;
ALTER TABLE changes ADD COLUMN planned_end INTEGER;
ALTER TABLE changes ADD COLUMN rework INTEGER NOT NULL DEFAULT 0 CHECK (rework IN (0, 1));
ALTER TABLE changes ADD COLUMN estimated TEXT;
