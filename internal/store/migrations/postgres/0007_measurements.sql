-- measurements keeps the samples read from a Prometheus-compatible query API
-- (SPEC section 9), one per measure, series (the `by` label's value) and
-- step, so reviews of past periods do not depend on the source's retention.
-- seq is drawn from record_seq like a record's, under the writers' lock, so
-- that readers can follow writes in commit order.
CREATE TABLE measurements (
	measure text             NOT NULL CHECK (measure IN ('uptime', 'response_time')),
	series  text             NOT NULL,
	at      timestamptz      NOT NULL,
	value   double precision NOT NULL,
	seq     bigint           NOT NULL,
	PRIMARY KEY (measure, series, at)
);
CREATE INDEX measurements_seq ON measurements (seq);
