package report

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestPeriodsOutsideTheWritableYears refuses periods that could not be
// written: their comparison period starts before 0001, or they end after
// 9999.
func TestPeriodsOutsideTheWritableYears(t *testing.T) {
	for _, s := range []string{"0001", "0001-01", "0001-Q1", "9999", "9999-12", "9999-Q4"} {
		_, err := ParsePeriod(s)
		assert.ErrorContains(t, err, "within the years 0001 to 9999", s)
	}
	for _, s := range []string{"0002", "0001-02", "0001-Q3", "9998", "9999-11", "9999-Q3"} {
		_, err := ParsePeriod(s)
		assert.NoError(t, err, s)
	}
	_, err := RangePeriod(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 6, 1, 0, 0, 0, 0, time.UTC))
	assert.ErrorContains(t, err, "within the years")
}
