package customeremails_test

import (
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/v1_1/customeremails"
)

// TestRehearse restores the demo fixture, runs the patches before this one,
// then this one, and compares the result with snapshots/customeremails.snap;
// it also checks that the patch is idempotent and resumes after a crash.
func TestRehearse(t *testing.T) {
	migtest.Rehearse(t, patches.Set, migtest.Patch(customeremails.Patch.ID), migtest.Golden("snapshots/customeremails.snap"))
}
