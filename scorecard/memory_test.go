package scorecard

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// The engine holds one incident and one change per record and one
// placement per change: a field more can grow each by 8 bytes, 8 MB at the
// reference dataset, so their sizes are pinned here.
func TestPerRecordSizes(t *testing.T) {
	assert.EqualValues(t, 80, unsafe.Sizeof(incident{}))
	assert.EqualValues(t, 88, unsafe.Sizeof(change{}))
	assert.EqualValues(t, 16, unsafe.Sizeof(placement{}))
	assert.EqualValues(t, 16, unsafe.Sizeof(succ{}))
}
