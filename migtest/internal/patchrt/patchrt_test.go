package patchrt_test

import (
	"context"
	"errors"
	"testing"

	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/patch"
)

// TestConstructors builds a context the way the runner does, without a
// database: the constructors package patch registers are typed at the
// call, steps are recorded and read back, and the patch ID travels in ctx.
func TestConstructors(t *testing.T) {
	db := patchrt.NewDB[*patch.DB](nil, nil)
	pc := patchrt.NewContext[*patch.Context]("v1.x", db, patchrt.Config{})
	if pc.ID != "v1.x" || pc.DB != db || pc.Log == nil {
		t.Fatalf("context = %+v", pc)
	}
	ctx := patchrt.ContextWithID(context.Background(), pc.ID)
	if got := patchrt.IDFromContext(ctx); got != "v1.x" {
		t.Errorf("IDFromContext = %q", got)
	}
	if err := pc.Step(ctx, "ok", patch.Critical, func(context.Context) (string, error) { return "done", nil }); err != nil {
		t.Fatal(err)
	}
	err := pc.Step(ctx, "soft", patch.Optional, func(context.Context) (string, error) { return "", errors.New("boom") })
	if err != nil {
		t.Errorf("a failed optional step returned %v", err)
	}
	var se *patch.StepError
	if err := pc.Step(ctx, "hard", patch.Critical, func(context.Context) (string, error) { return "", errors.New("boom") }); !errors.As(err, &se) || se.Step != "hard" {
		t.Errorf("a failed critical step returned %v, want a *patch.StepError", err)
	}
	steps := patchrt.Steps(pc)
	if len(steps) != 3 || !steps[0].OK || steps[0].Result != "done" || steps[1].OK || steps[1].Critical || !steps[2].Critical {
		t.Errorf("steps = %+v", steps)
	}
}
