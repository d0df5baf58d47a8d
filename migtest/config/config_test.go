package config

import "testing"

func TestResolveOrder(t *testing.T) {
	t.Setenv("MIGTEST_CONFIG_TEST", "from-env")
	tests := []struct {
		explicit, env, def string
		want               string
		from               Source
	}{
		{"opt", "MIGTEST_CONFIG_TEST", "def", "opt", FromOption},
		{"", "MIGTEST_CONFIG_TEST", "def", "from-env", FromEnv},
		{"", "MIGTEST_CONFIG_TEST_UNSET", "def", "def", FromDefault},
	}
	for _, tt := range tests {
		got := Resolve(tt.explicit, tt.env, tt.def)
		if got.Value != tt.want || got.Source != tt.from {
			t.Errorf("Resolve(%q, %s, %q) = %+v, want %q from %s", tt.explicit, tt.env, tt.def, got, tt.want, tt.from)
		}
	}
	if s := Resolve("", "MIGTEST_CONFIG_TEST", ""); s.From() != "MIGTEST_CONFIG_TEST" {
		t.Errorf("From() = %q", s.From())
	}
}

func TestResolveCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		explicit Compare
		prod     bool
		want     Compare
	}{
		{CompareAuto, false, CompareRowCounts},
		{CompareAuto, true, CompareRowChanges},
		{CompareRowCounts, true, CompareRowCounts},
		{CompareRowChanges, false, CompareRowChanges},
	}
	for _, tt := range tests {
		if got := ResolveCompare(tt.explicit, tt.prod); got != tt.want {
			t.Errorf("ResolveCompare(%s, %v) = %s, want %s", tt.explicit, tt.prod, got, tt.want)
		}
	}
	if Compare(7).Valid() {
		t.Error("Compare(7) is valid")
	}
}

func TestRequired(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv("MIGTEST_REQUIRE", "local, docker")
	if !Required() {
		t.Error("MIGTEST_REQUIRE set, Required() = false")
	}
	if got := RequiredProviders(); len(got) != 2 || got[1] != "docker" {
		t.Errorf("RequiredProviders() = %q", got)
	}
	t.Setenv("MIGTEST_REQUIRE", "")
	if Required() {
		t.Error("neither set, Required() = true")
	}
}
