-- Steward's first PostgreSQL schema. Times are timestamptz (microseconds,
-- UTC); labels are jsonb (NULL when there are none).

-- record_seq numbers every write of an incident or change. Writers hold an
-- advisory lock while they draw from it, so Seq order is commit order.
CREATE SEQUENCE record_seq AS bigint;

CREATE TABLE incidents (
	source              text        NOT NULL,
	id                  text        NOT NULL CHECK (id <> ''),
	seq                 bigint      NOT NULL DEFAULT nextval('record_seq'),
	system              text        NOT NULL,
	title               text        NOT NULL DEFAULT '',
	severity            smallint    NOT NULL CHECK (severity BETWEEN 1 AND 5),
	impact              text        NOT NULL CHECK (impact IN ('outage', 'degraded', 'none')),
	opened_at           timestamptz NOT NULL,
	acknowledged_at     timestamptz,
	resolved_at         timestamptz,
	closed_at           timestamptz,
	team                text        NOT NULL DEFAULT '',
	caused_by_source    text,
	caused_by_id        text,
	review_required     boolean,
	review_completed_at timestamptz,
	labels              jsonb,
	PRIMARY KEY (source, id)
);
CREATE UNIQUE INDEX incidents_seq ON incidents (seq);
CREATE INDEX incidents_system_opened_at ON incidents (system, opened_at);
CREATE INDEX incidents_caused_by ON incidents (caused_by_source, caused_by_id)
	WHERE caused_by_id IS NOT NULL;

CREATE TABLE changes (
	source      text        NOT NULL,
	id          text        NOT NULL CHECK (id <> ''),
	seq         bigint      NOT NULL DEFAULT nextval('record_seq'),
	system      text        NOT NULL,
	team        text        NOT NULL DEFAULT '',
	type        text        NOT NULL CHECK (type IN ('standard', 'normal', 'emergency')),
	environment text        NOT NULL,
	created_at  timestamptz,
	started_at  timestamptz,
	finished_at timestamptz,
	outcome     text        NOT NULL CHECK (outcome IN ('success', 'failed', 'rolled_back', 'cancelled', 'in_progress')),
	authorized  boolean     NOT NULL,
	labels      jsonb,
	PRIMARY KEY (source, id)
);
CREATE UNIQUE INDEX changes_seq ON changes (seq);
CREATE INDEX changes_system_finished_at ON changes (system, finished_at);

-- quarantine keeps rejected records for inspection; raw is the record's body
-- exactly as received, hence bytea.
CREATE TABLE quarantine (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind        text        NOT NULL,
	source      text        NOT NULL,
	idx         integer     NOT NULL,
	record_id   text        NOT NULL,
	error       text        NOT NULL,
	raw         bytea       NOT NULL,
	received_at timestamptz NOT NULL
);
CREATE INDEX quarantine_received_at ON quarantine (received_at);
