package ddllint_test

import (
	"context"
	"database/sql"
	"log/slog"

	"github.com/migtest/migtest/migtest/ddllint"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
)

// The lint as a statement hook of a migration: every statement a patch
// runs is checked just before it runs, on the schema as it is then.
func Example() {
	ctx := context.Background()
	db, err := sql.Open("mysql", "root@unix(/run/mysqld/mysqld.sock)/site1")
	if err != nil {
		return
	}
	// Production's row counts (e.g. from a snapshot) judge what is big.
	l, err := ddllint.New(ctx, db, "site1", ddllint.WithRowCounts(map[string]int64{"tabGL Entry": 9_600_000}))
	if err != nil {
		slog.Error("ddl lint", "err", err)
		return
	}
	defer l.Close()
	m, err := migrate.New(db, patch.Set{}, migrate.WithStatementHook(func(ctx context.Context, q string) error {
		for _, f := range l.Check(ctx, q) {
			slog.Warn("ddl lint: " + f.String())
		}
		return nil
	}))
	if err != nil {
		return
	}
	_, _ = m.Up(ctx, migrate.UpOptions{})
}
