package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
)

// program shows programs, their managers and the systems of each program.
func (g gen) program() *dashboard.DashboardBuilder {
	window := eq("window", "$window")
	programs := []string{eq("role", "program"), re("subject", "$program")}
	b := newDashboard(UIDProgram, "Steward / Program",
		"Programs (named groups of systems) and their managers: KPIs per program, per program manager, and the systems of each program.").
		WithVariable(g.windowVariable(g.cfg.BreachWindow)).
		WithVariable(multiVariable("program", "Program", g.subjectsOf(eq("role", "program")), "subject")).
		WithRow(dashboard.NewRowBuilder("Programs")).
		WithPanel(g.programTable(window, programs)).
		WithPanel(g.managerTable(window)).
		WithRow(dashboard.NewRowBuilder("Systems")).
		WithPanel(g.systemsPerProgram()).
		WithPanel(g.programSystems()).
		WithRow(dashboard.NewRowBuilder("Trends")).
		WithPanel(g.bySubject(kpiByName("availability_ratio"), window, programs...)).
		WithPanel(g.bySubject(kpiByName("change_success_ratio"), window, programs...)).
		WithPanel(g.bySubject(kpiByName("mttr_seconds"), window, programs...)).
		WithPanel(g.bySubject(kpiByName("incidents_opened"), window, programs...))
	return g.programUptimeRow(b, window, programs)
}

// programKPIs are the columns of the program and manager tables.
var programKPIs = []string{"availability_ratio", "change_success_ratio", "changes_completed", "mttr_seconds",
	"incidents_opened", "reviews_overdue"}

func (g gen) programTable(window string, programs []string) *table.PanelBuilder {
	rows := []string{"subject"}
	cols := []column{
		{title: "Score", unit: unitScore, expr: maxBy(rows, g.metric("scorecard_score", append(programs, window)...)), colors: scoreColors()},
		{title: "Owned systems", unit: unitCount, expr: `label_replace(count by (program) (` + g.ownerInfo(re("program", "$program")) +
			`), "subject", "$1", "program", "(.*)")`},
	}
	for _, name := range programKPIs {
		cols = append(cols, g.kpiColumn(kpiByName(name), rows, window, programs...))
	}
	return kpiTable("Programs", "Each program's score and KPIs over the window, and how many of its systems have an owner now.",
		rows, false, cols)
}

// managerTable lists the program managers' scorecards: each is accountable
// for the records of every system of the programs they manage.
func (g gen) managerTable(window string) *table.PanelBuilder {
	managers := []string{eq("role", "program_manager")}
	rows := []string{"subject"}
	cols := []column{{title: "Score", unit: unitScore, expr: maxBy(rows, g.metric("scorecard_score", append(managers, window)...)),
		colors: scoreColors()}}
	for _, name := range programKPIs {
		cols = append(cols, g.kpiColumn(kpiByName(name), rows, window, managers...))
	}
	return kpiTable("Program managers", "Each program manager's score and KPIs: the records of every system of the programs they manage.",
		rows, false, cols)
}

func (g gen) systemsPerProgram() *bargauge.PanelBuilder {
	return newBarGauge("Owned systems per program", unitCount, "Systems of each program that have an owner now (steward_system_owner_info).").
		WithTarget(instant("count by (program) ("+g.ownerInfo(re("program", "$program"))+")", legend("program")))
}

func (g gen) programSystems() *table.PanelBuilder {
	return newTable("Systems of each program", unitNone, "Every owned system of the selected programs, with its owner and tier now.").
		WithTarget(tableQuery("A", g.ownerInfo(re("program", "$program")))).
		Span(12).
		WithTransformation(sortBy("program", false)).
		WithTransformation(organize(map[string]string{"program": "Program", "system": "System", "owner": "Owner", "tier": "Tier"}, "Value"))
}
