package rehearsal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/snapshot"
)

// DefaultProduction is where a project commits its production profile,
// relative to the module root.
const DefaultProduction = "snapshots/production.snap"

// Production reads the production profile every rehearsal judges DDL by:
// file when given, else MIGTEST_PRODUCTION, else DefaultProduction under
// root when it exists. It returns nil and "" when there is none. A file
// named explicitly or by the environment that cannot be read is an error.
func Production(root, file string) (*snapshot.Snapshot, string, error) {
	s := config.Resolve(file, config.EnvProduction, "")
	path := s.Value
	if path == "" {
		path = filepath.Join(root, DefaultProduction)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, "", nil
		}
	} else if !filepath.IsAbs(path) && s.Source == config.FromEnv && root != "" {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			path = filepath.Join(root, path)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("production profile (%s): %w; write one with `migrate snapshot --out FILE` on production", s.From(), err)
	}
	snap, err := snapshot.Parse(b)
	if err != nil {
		return nil, "", fmt.Errorf("production profile %s: %w; write it again with `migrate snapshot --out FILE` on production", path, err)
	}
	return snap, path, nil
}
