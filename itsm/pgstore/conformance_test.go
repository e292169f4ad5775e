package pgstore

import (
	"testing"

	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

// TestConformance runs the suite with a fresh schema per subtest; the suite
// closes each store and the cleanup of newTarget drops its schema after.
func TestConformance(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) itsm.Store { return openTarget(t, newTarget(t)) })
}
