-- Feedback: survey answers about one system, program or team (the other two
-- are ''). Seq is drawn from record_seq like incidents' and changes', so
-- one reader following Seq sees every kind in commit order.
CREATE TABLE feedback (
	source       text             NOT NULL,
	id           text             NOT NULL CHECK (id <> ''),
	seq          bigint           NOT NULL DEFAULT nextval('record_seq'),
	system       text             NOT NULL DEFAULT '',
	program      text             NOT NULL DEFAULT '',
	team         text             NOT NULL DEFAULT '',
	audience     text             NOT NULL CHECK (audience IN ('stakeholder', 'employee')),
	score        double precision NOT NULL,
	scale_min    double precision NOT NULL,
	scale_max    double precision NOT NULL,
	submitted_at timestamptz      NOT NULL,
	labels       jsonb,
	PRIMARY KEY (source, id)
);
CREATE UNIQUE INDEX feedback_seq ON feedback (seq);
