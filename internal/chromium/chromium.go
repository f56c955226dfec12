// Package chromium runs Debian's headless Chromium for tests: it dumps the
// DOM a page renders to and takes screenshots, so pages are checked as a
// browser shows them. Without chromium the test skips, except with
// CI=true, where it fails. It is for tests only and never fetches anything
// beyond the URL it is given.
package chromium

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Browser is a chromium binary found on PATH.
type Browser struct{ path string }

// Find returns the browser or skips the test (fails it when CI=true).
func Find(t testing.TB) *Browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		msg := "chromium is not installed (apt-get install -y --no-install-recommends chromium)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires it")
		}
		t.Skip(msg + "; skipping browser test")
	}
	return &Browser{path: path}
}

// run starts a headless chromium with its own profile and no background
// network traffic, and returns what it printed on stdout.
func (b *Browser) run(t testing.TB, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, b.path, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// DumpDOM loads url and returns the DOM after the page rendered.
func (b *Browser) DumpDOM(t testing.TB, url string) []byte {
	t.Helper()
	return b.run(t, "--dump-dom", url)
}

// DumpDOMAfter loads url, lets the page run for budget of virtual time
// (its scripts, requests and navigations) and returns the DOM then.
func (b *Browser) DumpDOMAfter(t testing.TB, url string, budget time.Duration) []byte {
	t.Helper()
	return b.run(t, "--dump-dom", "--virtual-time-budget="+strconv.FormatInt(budget.Milliseconds(), 10), url)
}

// Screenshot renders url at width x height and returns the decoded PNG,
// also kept at the returned path for people to look at.
func (b *Browser) Screenshot(t testing.TB, url string, width, height int) (image.Image, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "screenshot.png")
	b.run(t, "--screenshot="+file, "--hide-scrollbars", windowSize(width, height), url)
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	return img, file
}

func windowSize(w, h int) string {
	return "--window-size=" + strconv.Itoa(w) + "," + strconv.Itoa(h)
}

// Variance is the variance of the image's luminance (0..255 squared): a
// blank page is near 0, a page of text and tables far above.
func Variance(img image.Image) float64 {
	var sum, sq, n float64
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			sum += l
			sq += l * l
			n++
		}
	}
	if n == 0 {
		return 0
	}
	m := sum / n
	return sq/n - m*m
}
