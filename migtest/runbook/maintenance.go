package runbook

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/migtest/migtest/migtest/internal/fsutil"
)

// maintenanceKeys are the site_config.json keys Frappe reads to show the
// maintenance page and stop the scheduler.
var maintenanceKeys = []string{"maintenance_mode", "pause_scheduler"}

// EnterMaintenance sets maintenance_mode and pause_scheduler to 1 in the
// site config at path and returns a function that puts back the previous
// values (or removes keys that were absent). The file's other keys, order
// of values and mode are kept; writes are atomic.
func EnterMaintenance(path string) (restore func() error, err error) {
	orig, err := os.ReadFile(path)
	if err != nil {
		return nil, inputErrorf("--maintenance %s: %v; give the site's site_config.json", path, err)
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(orig, &cfg); err != nil {
		return nil, inputErrorf("--maintenance %s is not valid JSON: %v", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	prev := map[string]json.RawMessage{}
	for _, k := range maintenanceKeys {
		if v, ok := cfg[k]; ok {
			prev[k] = v
		}
		cfg[k] = json.RawMessage("1")
	}
	if err := writeJSONFile(path, cfg, st.Mode().Perm()); err != nil {
		return nil, fmt.Errorf("set maintenance mode: %w", err)
	}
	return func() error {
		cur, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("restore maintenance mode in %s: %w", path, err)
		}
		var now map[string]json.RawMessage
		if err := json.Unmarshal(cur, &now); err != nil {
			return fmt.Errorf("restore maintenance mode: %s is no longer valid JSON: %w", path, err)
		}
		for _, k := range maintenanceKeys {
			if v, ok := prev[k]; ok {
				now[k] = v
			} else {
				delete(now, k)
			}
		}
		if err := writeJSONFile(path, now, st.Mode().Perm()); err != nil {
			return fmt.Errorf("restore maintenance mode: %w", err)
		}
		return nil
	}, nil
}

func writeJSONFile(path string, v map[string]json.RawMessage, mode os.FileMode) error {
	return fsutil.WriteJSONAtomic(path, v, " ", mode)
}
