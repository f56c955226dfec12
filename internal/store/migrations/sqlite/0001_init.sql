-- Steward's first SQLite schema.
--
-- Times are INTEGER microseconds since 1970-01-01T00:00:00Z (UTC). Convert in
-- SQL with strftime('%Y-%m-%dT%H:%M:%fZ', opened_at / 1e6, 'unixepoch');
-- a difference of two times divided by 1e6 is seconds.
-- Booleans are INTEGER 0 or 1; labels are a JSON object as TEXT (NULL when
-- there are none).

-- record_seq holds the last Seq handed out. Writers bump it inside their
-- write transaction, so Seq order is commit order.
CREATE TABLE record_seq (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	value INTEGER NOT NULL
) STRICT;
INSERT INTO record_seq (id, value) VALUES (1, 0);

CREATE TABLE incidents (
	source              TEXT    NOT NULL,
	id                  TEXT    NOT NULL CHECK (id <> ''),
	seq                 INTEGER NOT NULL,
	system              TEXT    NOT NULL,
	title               TEXT    NOT NULL,
	severity            INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 5),
	impact              TEXT    NOT NULL CHECK (impact IN ('outage', 'degraded', 'none')),
	opened_at           INTEGER NOT NULL,
	acknowledged_at     INTEGER,
	resolved_at         INTEGER,
	closed_at           INTEGER,
	team                TEXT    NOT NULL,
	caused_by_source    TEXT,
	caused_by_id        TEXT,
	review_required     INTEGER CHECK (review_required IN (0, 1)),
	review_completed_at INTEGER,
	labels              TEXT,
	PRIMARY KEY (source, id)
) STRICT;
CREATE UNIQUE INDEX incidents_seq ON incidents (seq);
CREATE INDEX incidents_system_opened_at ON incidents (system, opened_at);
CREATE INDEX incidents_caused_by ON incidents (caused_by_source, caused_by_id)
	WHERE caused_by_id IS NOT NULL;

CREATE TABLE changes (
	source      TEXT    NOT NULL,
	id          TEXT    NOT NULL CHECK (id <> ''),
	seq         INTEGER NOT NULL,
	system      TEXT    NOT NULL,
	team        TEXT    NOT NULL,
	type        TEXT    NOT NULL CHECK (type IN ('standard', 'normal', 'emergency')),
	environment TEXT    NOT NULL,
	created_at  INTEGER,
	started_at  INTEGER,
	finished_at INTEGER,
	outcome     TEXT    NOT NULL CHECK (outcome IN ('success', 'failed', 'rolled_back', 'cancelled', 'in_progress')),
	authorized  INTEGER NOT NULL CHECK (authorized IN (0, 1)),
	labels      TEXT,
	PRIMARY KEY (source, id)
) STRICT;
CREATE UNIQUE INDEX changes_seq ON changes (seq);
CREATE INDEX changes_system_finished_at ON changes (system, finished_at);

-- quarantine keeps rejected records for inspection; raw is the record's body
-- exactly as received, hence BLOB.
CREATE TABLE quarantine (
	id          INTEGER PRIMARY KEY,
	kind        TEXT    NOT NULL,
	source      TEXT    NOT NULL,
	idx         INTEGER NOT NULL,
	record_id   TEXT    NOT NULL,
	error       TEXT    NOT NULL,
	raw         BLOB    NOT NULL,
	received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX quarantine_received_at ON quarantine (received_at);
