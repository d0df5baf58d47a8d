package sqlpatch_test

import (
	"testing"

	"github.com/migtest/migtest/migtest/sqlpatch"
)

// TestVersionLess: the version order of Flyway's documentation
// ("1.0.1 < 1.1 < 1.2 < 1.10 < 2", with 1.0 equal to 1 and "_" as ".")
// that adopt's baseline and report ordering rely on.
func TestVersionLess(t *testing.T) {
	t.Parallel()
	ordered := []string{"1", "1.0.1", "1.1", "1_2", "1.10", "2", "2.0.0.1", "10"}
	for i := range ordered {
		for j := range ordered {
			if got, want := sqlpatch.VersionLess(ordered[i], ordered[j]), i < j; got != want {
				t.Errorf("VersionLess(%q, %q) = %v, want %v", ordered[i], ordered[j], got, want)
			}
		}
	}
	if sqlpatch.VersionLess("1.0", "1") || sqlpatch.VersionLess("1", "1.0") {
		t.Error("1.0 and 1 are the same version")
	}
}
