package devcli

import (
	"strings"
	"testing"
)

func TestRegisterPatch(t *testing.T) {
	t.Parallel()
	head := "package patches\n\nimport (\n\t\"example.com/m/migtest/patch\"\n\t\"example.com/m/patches/v1_0/a\"\n)\n\n"
	tests := []struct{ name, list, want string }{
		{"multi-line", "var Set = patch.Set{\n\tPatches: []patch.Patch{\n\t\ta.Patch,\n\t},\n}\n", "\t\ta.Patch,\n\t\tnewp.Patch,\n\t},"},
		{"empty", "var Set = patch.Set{\n\tPatches: []patch.Patch{},\n}\n", "Patches: []patch.Patch{\n\t\tnewp.Patch,\n\t},"},
		{"one line", "var Set = patch.Set{Patches: []patch.Patch{a.Patch}}\n", "a.Patch,\n\tnewp.Patch,\n}"},
	}
	for _, tt := range tests {
		got, err := registerPatch([]byte(head+tt.list), "example.com/m/patches/v1_1/newp", "newp")
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !strings.Contains(string(got), tt.want) || !strings.Contains(string(got), `"example.com/m/patches/v1_1/newp"`) {
			t.Errorf("%s:\n%s\nwant it to contain %q", tt.name, got, tt.want)
		}
	}
}
