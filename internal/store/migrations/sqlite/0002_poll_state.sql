-- poll_state keeps each poller's cursor (its position in a remote source).
-- Write saves it in the same transaction as the records it covers, so a
-- poller resuming after a crash neither loses nor re-reads a page.
-- updated_at is INTEGER microseconds since the Unix epoch, like every time.
CREATE TABLE poll_state (
	name       TEXT    PRIMARY KEY CHECK (name <> ''),
	cursor     TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
