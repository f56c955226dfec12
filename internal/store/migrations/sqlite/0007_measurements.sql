-- measurements keeps the samples read from a Prometheus-compatible query API
-- (SPEC section 9), one per measure, series (the `by` label's value) and
-- step, so reviews of past periods do not depend on the source's retention.
-- at is INTEGER microseconds since the Unix epoch, like every time. seq is
-- drawn from record_seq like a record's, so that readers can follow writes.
CREATE TABLE measurements (
	measure TEXT    NOT NULL CHECK (measure IN ('uptime', 'response_time')),
	series  TEXT    NOT NULL,
	at      INTEGER NOT NULL,
	value   REAL    NOT NULL,
	seq     INTEGER NOT NULL,
	PRIMARY KEY (measure, series, at)
) STRICT;
CREATE INDEX measurements_seq ON measurements (seq);
