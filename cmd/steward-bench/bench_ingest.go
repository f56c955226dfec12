package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/steward-sh/steward/record"
)

// ingestJob is one POST of the ingest benchmark: an NDJSON body, encoded
// before the clock starts so that the clients measure the daemon, not JSON
// encoding.
type ingestJob struct {
	path string
	body []byte
	n    int
}

// encodeBatches cuts the records into NDJSON batches, incidents and changes
// alternating, as collectors of both kinds would post them.
func encodeBatches(incidents []record.Incident, changes []record.Change, batch int) ([]ingestJob, error) {
	var jobs []ingestJob
	var encode []func() ([]byte, error)
	for lo := 0; lo < max(len(incidents), len(changes)); lo += batch {
		if lo < len(incidents) {
			part := incidents[lo:min(lo+batch, len(incidents))]
			jobs = append(jobs, ingestJob{path: "/api/v1/incidents", n: len(part)})
			encode = append(encode, func() ([]byte, error) { return ndjson(part) })
		}
		if lo < len(changes) {
			part := changes[lo:min(lo+batch, len(changes))]
			jobs = append(jobs, ingestJob{path: "/api/v1/changes", n: len(part)})
			encode = append(encode, func() ([]byte, error) { return ndjson(part) })
		}
	}
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				jobs[i].body, errs[i] = encode[i]()
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("bench: encode records: %w", err)
		}
	}
	return jobs, nil
}

func ndjson[T any](records []T) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := range records {
		if err := enc.Encode(&records[i]); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

// postAll posts every job from clients concurrent clients and returns the
// time from the first request to the last answer. Every record must be
// accepted.
func postAll(ctx context.Context, base string, jobs []ingestJob, clients int) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := benchClient(clients)
	var (
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan *ingestJob)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for j := range next {
				if err := postBatch(ctx, client, base, j); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
feed:
	for i := range jobs {
		select {
		case next <- &jobs[i]:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return took, firstErr
}

func postBatch(ctx context.Context, client *http.Client, base string, j *ingestJob) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+j.path, bytes.NewReader(j.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("bench: POST %s: %w", j.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("bench: POST %s: %w", j.path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: POST %s: %s: %.300s", j.path, resp.Status, body)
	}
	var res struct {
		Accepted int               `json:"accepted"`
		Rejected []json.RawMessage `json:"rejected"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return fmt.Errorf("bench: POST %s: answer: %w", j.path, err)
	}
	if res.Accepted != j.n || len(res.Rejected) > 0 {
		return fmt.Errorf("bench: POST %s: %d of %d records accepted: %.300s", j.path, res.Accepted, j.n, body)
	}
	return nil
}
