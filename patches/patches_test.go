package patches_test

import (
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/patches"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// TestRehearseAll rehearses the whole set on the demo fixture against the
// golden that `make demo` (migrate rehearse) compares with too.
func TestRehearseAll(t *testing.T) {
	migtest.Rehearse(t, patches.Set, migtest.Golden("snapshots/demo-site.snap"))
}
