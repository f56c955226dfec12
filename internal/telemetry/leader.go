package telemetry

// Leading records whether this process runs a task that must run in one
// replica at a time (a poller, "poller/servicenow/incident") now. The label
// is task, not job: Prometheus's scrape would rename a job label to
// exported_job. Call it with false at start, so that every replica exports
// the series and max by (task) tells whether any replica leads.
func (t *Telemetry) Leading(task string, leading bool) {
	v := 0.0
	if leading {
		v = 1
	}
	t.leader.WithLabelValues(task).Set(v)
}
