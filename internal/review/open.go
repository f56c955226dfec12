package review

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/configload"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

// Open loads a config file and returns the review builder of the store it
// names, with the store's archive, and what closes the store.
func Open(ctx context.Context, configFile string) (*report.Builder, io.Closer, error) {
	cfg, st, err := configload.OpenStore(ctx, configFile)
	if err != nil {
		return nil, nil, err
	}
	engine := scorecard.New(scorecard.Options{Store: st, Samples: st, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	return &report.Builder{Engine: engine, Archive: NewArchive(st), Now: time.Now}, st, nil
}

// WriteFile writes rep in format to the file output, or to stdout when
// output is empty.
func WriteFile(rep *report.Report, format, output string, stdout io.Writer) (err error) {
	if output == "" {
		return report.Write(stdout, rep, format)
	}
	f, err := os.Create(output)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("report: %w", cerr)
		}
	}()
	return report.Write(f, rep, format)
}
