package server

import (
	"context"
	"testing"
	"time"
)

// BenchmarkStart measures time to a usable database, side by side:
// Start plus the first NewDatabase for each provider (Close is not timed),
// and NewDatabase alone on a running server.
//
//	go test -run '^$' -bench BenchmarkStart -benchtime 5x ./migtest/server
func BenchmarkStart(b *testing.B) {
	cases := []struct {
		name     string
		provider string
		opts     []Option
	}{
		{"local-cold", ProviderLocal, []Option{WithoutTemplate()}},
		{"local-template", ProviderLocal, nil},
		{"docker", ProviderDocker, nil},
		{"dockertest", ProviderDockertest, nil},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			needProvider(b, bc.provider)
			opts := append([]Option{WithProvider(bc.provider)}, bc.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if bc.name == "local-template" {
				// The template is made once per machine; not part of a start.
				srv, err := Start(ctx, opts...)
				if err != nil {
					b.Fatal(err)
				}
				_ = srv.Close()
			}
			b.ResetTimer()
			for b.Loop() {
				srv, err := Start(ctx, opts...)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := srv.NewDatabase(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := srv.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/ready")
		})
	}
	b.Run("dsn-newdatabase", func(b *testing.B) {
		needProvider(b, ProviderLocal)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		under := startLocalT(b)
		srv, err := Start(ctx, WithProvider(ProviderDSN), WithDSN(under.DSN("")))
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		b.ResetTimer()
		for b.Loop() {
			d, err := srv.NewDatabase(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := d.Drop(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/ready")
	})
}
