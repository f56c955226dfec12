-- The fields SPEC 2 added to incidents and changes. Sign-offs, action items
-- and the list of estimated times are jsonb arrays (NULL when there are
-- none); their times are RFC 3339 in UTC. Incidents stored before have no
-- category: 'none', the default.
ALTER TABLE incidents
	ADD COLUMN category          text NOT NULL DEFAULT 'none',
	ADD COLUMN impact_started_at timestamptz,
	ADD COLUMN mitigated_at      timestamptz,
	ADD COLUMN review_signoffs   jsonb,
	ADD COLUMN review_actions    jsonb,
	ADD COLUMN estimated         jsonb;

ALTER TABLE changes
	ADD COLUMN approved_at   timestamptz,
	ADD COLUMN planned_start timestamptz,
	ADD COLUMN planned_end   timestamptz,
	ADD COLUMN rework        boolean NOT NULL DEFAULT false,
	ADD COLUMN estimated     jsonb;
