-- Feedback: survey answers about one system, program or team (the other two
-- are ''). Seq is drawn from record_seq like incidents' and changes', so
-- one reader following Seq sees every kind in commit order.
CREATE TABLE feedback (
	source       TEXT    NOT NULL,
	id           TEXT    NOT NULL CHECK (id <> ''),
	seq          INTEGER NOT NULL,
	system       TEXT    NOT NULL,
	program      TEXT    NOT NULL,
	team         TEXT    NOT NULL,
	audience     TEXT    NOT NULL CHECK (audience IN ('stakeholder', 'employee')),
	score        REAL    NOT NULL,
	scale_min    REAL    NOT NULL,
	scale_max    REAL    NOT NULL,
	submitted_at INTEGER NOT NULL,
	labels       TEXT,
	PRIMARY KEY (source, id)
) STRICT;
CREATE UNIQUE INDEX feedback_seq ON feedback (seq);
