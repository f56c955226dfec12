package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/steward-sh/steward/internal/audit"
	"github.com/steward-sh/steward/internal/cli"
	"github.com/steward-sh/steward/internal/review"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", "Write a performance review: a subject's KPIs over a period against the period before, with the\n"+
		"records behind them and any restatement of a frozen review. Example:\n"+
		"  steward report --config.file steward.yml --role system_owner --subject alice --period 2026-Q3 --format html --output alice.html", stderr)
	file := fs.String("config.file", "steward.yml", "Steward configuration file (names the store).")
	role := fs.String("role", "", "Role to review (required): "+roleNames()+".")
	subject := fs.String("subject", "", "Subject to review; empty reviews every subject of the role.")
	period := fs.String("period", "", "Calendar period in UTC: a year (2026), a month (2026-07) or a quarter (2026-Q3).")
	from := fs.String("from", "", "Start of an arbitrary period instead of --period: RFC 3339 time or date (2026-07-01).")
	to := fs.String("to", "", "End of an arbitrary period, excluded: RFC 3339 time or date (2026-10-01).")
	format := fs.String("format", "markdown", "Output format: "+strings.Join(report.Formats, ", ")+".")
	output := fs.String("output", "", "Write the report to this file instead of standard output.")
	freeze := fs.Bool("freeze", false, "Store the period's reviews as a new immutable version (unless unchanged), to compare later data with.")
	force := fs.Bool("force", false, "With --freeze, freeze a period that has not ended (its reviews are provisional).")
	auditFile := auditFlag(fs)
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	req, err := reportRequest(*role, *subject, *period, *from, *to)
	if err != nil {
		fmt.Fprintf(stderr, "steward report: %v\n", err)
		fs.Usage()
		return errUsage
	}
	if !slices.Contains(report.Formats, *format) {
		fmt.Fprintf(stderr, "steward report: --format %q: want one of %s\n", *format, strings.Join(report.Formats, ", "))
		return errUsage
	}
	b, st, err := review.Open(ctx, *file)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := b.Build(ctx, req)
	if err != nil {
		return err
	}
	if *freeze {
		auditLog, auditOut, err := audit.OpenLocal(*auditFile, stderr)
		if err != nil {
			return err
		}
		defer auditOut.Close()
		err = b.Freeze(ctx, rep, *force)
		auditLog.RecordLocal(ctx, "reviews.freeze", err, slog.String("role", *role), slog.String("subject", *subject),
			slog.String("period", rep.Period.Name))
		if err != nil {
			return err
		}
		for _, s := range rep.Subjects {
			fmt.Fprintf(stderr, "frozen: %s %s %s version %d (%s)\n", s.Role, s.Subject, s.Period.Name, s.Frozen.Version, s.Frozen.CreatedAt.Format(time.RFC3339))
		}
	}
	return review.WriteFile(rep, *format, *output, stdout)
}

func reportRequest(role, subject, period, from, to string) (report.Request, error) {
	if role == "" {
		return report.Request{}, errors.New("--role is required")
	}
	r, err := scorecard.ParseRole(role)
	if err != nil {
		return report.Request{}, fmt.Errorf("--role: %w", err)
	}
	req := report.Request{Role: r, Subject: subject}
	switch {
	case period != "" && (from != "" || to != ""):
		return req, errors.New("give either --period or --from and --to, not both")
	case period != "":
		req.Period, err = report.ParsePeriod(period)
		return req, err
	case from == "" || to == "":
		return req, errors.New("give --period, or both --from and --to")
	}
	f, err := report.ParseTime(from)
	if err != nil {
		return req, fmt.Errorf("--from: %w", err)
	}
	t, err := report.ParseTime(to)
	if err != nil {
		return req, fmt.Errorf("--to: %w", err)
	}
	req.Period, err = report.RangePeriod(f, t)
	return req, err
}

func roleNames() string {
	names := make([]string, len(scorecard.Roles))
	for i, r := range scorecard.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
