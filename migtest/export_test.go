package migtest

import "testing"

// FlagUpdateForTest sets the -update flag for a test and restores it after.
func FlagUpdateForTest(t *testing.T, on bool) {
	old := *update
	*update = on
	t.Cleanup(func() { *update = old })
}
