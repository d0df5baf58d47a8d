package cli

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/migrate"
)

// topoFlags are the topology flags of up and check.
type topoFlags struct {
	replicas []string
	maxLag   time.Duration
}

func (f *topoFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.replicas, "replica", nil, "a replica's `DSN` (repeatable): batches pause while it lags more than --max-replica-lag or stops answering; needs REPLICATION CLIENT (SLAVE MONITOR on MariaDB 10.5+)")
	cmd.Flags().DurationVar(&f.maxLag, "max-replica-lag", migrate.DefaultMaxReplicaLag, "replica lag above which batches pause")
}

// open opens the replicas (closed by the returned func) and returns the
// Migrator options that watch them.
func (f topoFlags) open(ctx context.Context, a *app) ([]migrate.Option, func(), error) {
	if f.maxLag <= 0 {
		return nil, nil, usageErrorf("--max-replica-lag %s: give a positive duration such as 1s", f.maxLag)
	}
	var reps []migrate.Replica
	closeAll := func() {
		for _, r := range reps {
			_ = r.DB.Close()
		}
	}
	for _, s := range f.replicas {
		a.secrets.addDSN(s)
		cfg, err := dsn.Parse(s)
		if err != nil {
			closeAll()
			return nil, nil, usageErrorf("invalid --replica %s: %v", dsn.Redact(s), err)
		}
		if cfg.Timeout == 0 {
			cfg.Timeout = 5 * time.Second
		}
		if cfg.ReadTimeout == 0 {
			cfg.ReadTimeout = 30 * time.Second
		}
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("--replica %s: %w", cfg.Addr, err)
		}
		db.SetMaxOpenConns(2)
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err != nil {
			_ = db.Close()
			closeAll()
			return nil, nil, fmt.Errorf("cannot connect to replica %s as %s: %s; fix --replica or leave it out", cfg.Addr, cfg.User, oneLine(err.Error()))
		}
		reps = append(reps, migrate.Replica{Name: cfg.Addr, DB: db})
	}
	return []migrate.Option{migrate.WithReplicas(reps...), migrate.WithMaxReplicaLag(f.maxLag)}, closeAll, nil
}
