-- Frozen review snapshots: a period's scorecards and evidence for one
-- subject, as JSON, kept so later data can be shown as a restatement. Rows
-- are immutable (a trigger refuses UPDATE); a new freeze is a new version.
-- created_at is INTEGER microseconds since the Unix epoch, like every time.
CREATE TABLE review_snapshots (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	role       TEXT    NOT NULL CHECK (role <> ''),
	subject    TEXT    NOT NULL CHECK (subject <> ''),
	period     TEXT    NOT NULL CHECK (period <> ''),
	version    INTEGER NOT NULL CHECK (version > 0),
	created_at INTEGER NOT NULL,
	content    TEXT    NOT NULL CHECK (json_valid(content)),
	UNIQUE (role, subject, period, version)
) STRICT;

CREATE TRIGGER review_snapshots_immutable BEFORE UPDATE ON review_snapshots
BEGIN
	SELECT RAISE(ABORT, 'review snapshots are immutable');
END;
