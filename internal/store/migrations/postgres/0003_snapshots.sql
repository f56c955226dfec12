-- Frozen review snapshots: a period's scorecards and evidence for one
-- subject, as JSON, kept so later data can be shown as a restatement. Rows
-- are immutable (a trigger refuses UPDATE); a new freeze is a new version.
-- content is json, not jsonb, so it is kept byte for byte as written.
CREATE TABLE review_snapshots (
	id         bigserial   PRIMARY KEY,
	role       text        NOT NULL CHECK (role <> ''),
	subject    text        NOT NULL CHECK (subject <> ''),
	period     text        NOT NULL CHECK (period <> ''),
	version    integer     NOT NULL CHECK (version > 0),
	created_at timestamptz NOT NULL,
	content    json        NOT NULL,
	UNIQUE (role, subject, period, version)
);

CREATE FUNCTION review_snapshots_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'review snapshots are immutable';
END
$$;

CREATE TRIGGER review_snapshots_immutable BEFORE UPDATE ON review_snapshots
	FOR EACH ROW EXECUTE FUNCTION review_snapshots_immutable();
