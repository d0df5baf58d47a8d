package patch

import (
	"testing"
	"time"
)

func TestSizer(t *testing.T) {
	t.Parallel()
	type step struct {
		rows int64
		took time.Duration
		want int // size after the chunk
	}
	for _, c := range []struct {
		name  string
		start int
		steps []step
	}{
		// Fast chunks: the size at most doubles per chunk, up to what
		// half the target (100ms) holds at the rate seen (1 M rows/s).
		{"grows by doubling to the aim", 1000, []step{
			{1000, time.Millisecond, 2000},
			{2000, 2 * time.Millisecond, 4000},
			{4000, 4 * time.Millisecond, 8000},
			{8000, 8 * time.Millisecond, 16000},
			{16000, 16 * time.Millisecond, 32000},
			{32000, 32 * time.Millisecond, 64000},
			{64000, 64 * time.Millisecond, 100000},
			{100000, 100 * time.Millisecond, 100000},
		}},
		// A slow chunk (a tenth of the rate) shrinks the size at once to
		// what the slow rate fits in the aim; recovery goes by halves.
		{"shrinks at once, recovers by halves", 100000, []step{
			{100000, 100 * time.Millisecond, 100000},
			{100000, time.Second, 10000},
			{10000, 10 * time.Millisecond, 20000},
			{20000, 20 * time.Millisecond, 40000},
			{40000, 40 * time.Millisecond, 80000},
		}},
		{"never below MinSize", 100, []step{{100, 10 * time.Second, 10}}},
		{"never above MaxSize", 500000, []step{{500000, time.Millisecond, 1_000_000}, {1_000_000, time.Millisecond, 1_000_000}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := sizer{aim: 100 * time.Millisecond, min: 10, max: 1_000_000, size: c.start}
			for i, st := range c.steps {
				s.observe(st.rows, st.took)
				if s.size != st.want {
					t.Fatalf("after chunk %d (%d rows in %v): size %d, want %d", i, st.rows, st.took, s.size, st.want)
				}
			}
		})
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	one := []keyCol{{name: "name", kind: 's'}}
	three := []keyCol{{name: "a", kind: 's'}, {name: "b", kind: 'i'}, {name: "c`x", kind: 'u'}}
	k3 := []any{"k", int64(1), uint64(2)}
	args3 := []any{"k", "k", int64(1), "k", int64(1), uint64(2)}
	for _, c := range []struct {
		name     string
		fn       func([]keyCol, []any) (string, []any)
		keys     []keyCol
		key      []any
		want     string
		wantArgs []any
	}{
		{"after one", after, one, []any{"k"}, "`name` > ?", []any{"k"}},
		{"upTo one", upTo, one, []any{"k"}, "`name` <= ?", []any{"k"}},
		{"after three", after, three, k3, "((`a` > ?) OR (`a` = ? AND `b` > ?) OR (`a` = ? AND `b` = ? AND `c``x` > ?))", args3},
		{"upTo three", upTo, three, k3, "((`a` < ?) OR (`a` = ? AND `b` < ?) OR (`a` = ? AND `b` = ? AND `c``x` <= ?))", args3},
		{"after nothing", after, one, nil, "", nil},
	} {
		s, a := c.fn(c.keys, c.key)
		if s != c.want || len(a) != len(c.wantArgs) {
			t.Errorf("%s: %s %v, want %s %v", c.name, s, a, c.want, c.wantArgs)
			continue
		}
		for i := range a {
			if a[i] != c.wantArgs[i] {
				t.Errorf("%s: arg %d = %v, want %v", c.name, i, a[i], c.wantArgs[i])
			}
		}
	}
}
