package integration

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	steward "github.com/steward-sh/steward/internal/daemon"
	"github.com/steward-sh/steward/internal/htmltest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/chromium"
)

// forgedForm is a page that, once loaded, makes the browser post a form to
// target: a text/plain form sends "name=value", so a name ending in an
// open string forges a JSON body whose last field is "=".
func forgedForm(target, json, lastField string) string {
	name := json[:len(json)-1] + `,"` + lastField + `":"`
	return fmt.Sprintf(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action=%q enctype="text/plain"><input type="hidden" name="%s" value="%s"></form>
</body></html>`, target, html.EscapeString(name), html.EscapeString(`"}`))
}

// forgedFetch is a page whose script posts body to target as a "simple"
// cross-origin request (text/plain, no-cors: sent without a preflight, the
// answer unreadable to the page, which does not need it).
func forgedFetch(target, body string) string {
	return fmt.Sprintf(`<!doctype html><html><body><p id="out">sending</p><script>
fetch(%q, {method: "POST", mode: "no-cors", credentials: "include", headers: {"Content-Type": "text/plain"}, body: %q})
  .then(() => { document.getElementById("out").textContent = "sent"; });
</script></body></html>`, target, body)
}

// TestCSRFInBrowser has a real Chromium load a page on another site
// (localhost, while the daemon is at 127.0.0.1) that posts forms to the
// daemon: an incident, a review to freeze and a reload. Each is refused
// (403) and nothing is stored; the same page on an origin given in
// --web.trusted-origins gets through, the UI's own review form (a GET)
// keeps working, and clients without browser headers (curl, collectors)
// are not affected.
func TestCSRFInBrowser(t *testing.T) {
	browser := chromium.Find(t)
	var pages sync.Map // path → page
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		page, _ := pages.Load(r.URL.Path)
		fmt.Fprint(w, page)
	}))
	defer attacker.Close()
	other := strings.Replace(attacker.URL, "127.0.0.1", "localhost", 1)

	const incident = `{"id":"FORGED-%d","system":"payments-api","severity":1,"opened_at":"2026-01-01T00:00:00Z"}`
	for _, tt := range []struct {
		name    string
		trusted bool
	}{{"cross-site", false}, {"trusted origin", true}} {
		t.Run(tt.name, func(t *testing.T) {
			o := steward.Options{AuditFile: filepath.Join(t.TempDir(), "audit.log")}
			if tt.trusted {
				o.TrustedOrigins = []string{other}
			}
			d := startSecure(t, "", o)
			pages.Store("/incident", forgedForm(d.base+"/api/v1/incidents", fmt.Sprintf(incident, 1), "title"))
			pages.Store("/freeze", forgedFetch(d.base+"/api/v1/reviews", `{"role":"system","subject":"payments-api","period":"2026-Q1"}`))
			pages.Store("/reload", forgedFetch(d.base+"/-/reload", ""))

			// The form navigates to the daemon's answer; on a busy machine
			// the DOM may be dumped before the answer arrived, so the page
			// is loaded again (the post is idempotent).
			var dom string
			for range 3 {
				if dom = string(browser.DumpDOMAfter(t, other+"/incident", 5*time.Second)); strings.Contains(dom, `{"`) {
					break
				}
			}
			assert.Equal(t, !tt.trusted, strings.Contains(dom, "cross-site request refused"), dom)
			for _, page := range []string{"/freeze", "/reload"} {
				dom := string(browser.DumpDOMAfter(t, other+page, 5*time.Second))
				assert.Contains(t, dom, `<p id="out">sent</p>`, "the browser sent %s", page)
			}
			incidents, _, _ := storedKeys(t, "sqlite", filepath.Join(d.dir, "steward.db"))
			assert.Equal(t, tt.trusted, incidents["FORGED-1"], "the forged incident is stored only from a trusted origin")
			reviews := d.do(t, "GET", "/api/v1/reviews?role=system&subject=payments-api&period=2026-Q1", "")
			require.Equal(t, http.StatusOK, reviews.status)
			assert.Equal(t, tt.trusted, strings.Contains(reviews.body, "2026-Q1"), "a review frozen only from a trusted origin: %s", reviews.body)
			audit := auditLines(t, o.AuditFile)
			require.Len(t, audit, 2, "the freeze and the reload")
			for _, l := range audit {
				if tt.trusted {
					assert.Equal(t, "success", l["outcome"], l)
				} else {
					assert.Equal(t, "denied", l["outcome"], l)
					assert.Contains(t, l["reason"], "cross-site request refused", l)
				}
			}
		})
	}

	t.Run("the UI's own form and clients without browser headers", func(t *testing.T) {
		d := startSecure(t, "", steward.Options{})
		// The subject page's review form is a GET, submitted by the browser
		// as it builds it from the form's fields.
		dom := browser.DumpDOM(t, d.base+"/ui/subject/system/payments-api")
		doc := parseDOM(t, dom)
		var action string
		for _, f := range htmltest.WithAttr(doc, "action") {
			if v, _ := htmltest.Attr(f, "action"); v == "/ui/report" {
				action = v
			}
		}
		require.Equal(t, "/ui/report", action, "the review form")
		report := browser.DumpDOM(t, d.base+"/ui/report?role=system&subject=payments-api&period=2026-Q1")
		assert.Contains(t, string(report), "payments-api")
		assert.NotContains(t, string(report), "cross-site request refused")

		got := d.do(t, "POST", "/api/v1/incidents", fmt.Sprintf(incident, 2))
		assert.Equal(t, http.StatusOK, got.status, "curl: %s", got.body)
		got = d.do(t, "POST", "/api/v1/incidents", fmt.Sprintf(incident, 3), "Sec-Fetch-Site", "same-origin")
		assert.Equal(t, http.StatusOK, got.status, "the daemon's own pages: %s", got.body)
		got = d.do(t, "POST", "/api/v1/incidents", fmt.Sprintf(incident, 4), "Origin", "http://evil.example")
		assert.Equal(t, http.StatusForbidden, got.status, "an old browser without Sec-Fetch-Site: %s", got.body)
	})
}
