-- poll_state keeps each poller's cursor (its position in a remote source).
-- Write saves it in the same transaction as the records it covers, so a
-- poller resuming after a crash neither loses nor re-reads a page.
CREATE TABLE poll_state (
	name       text        PRIMARY KEY CHECK (name <> ''),
	cursor     text        NOT NULL,
	updated_at timestamptz NOT NULL
);
