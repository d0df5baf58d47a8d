package dump

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestQueueSpill pushes through a tiny memory budget, so that most items
// go through the spill file while it is being read, and checks the order.
func TestQueueSpill(t *testing.T) {
	t.Parallel()
	b := newBudget(1<<10, 1<<30, t.TempDir())
	q := newQueue(b)
	const n = 20000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			text := strconv.Itoa(i) + strings.Repeat("x", i%700)
			if err := q.push(item{text: text, num: i, line: i * 2, offset: int64(i) * 3, table: "t" + strconv.Itoa(i%3), data: i%2 == 0}); err != nil {
				t.Error(err)
				return
			}
		}
		q.close()
	}()
	for i := 0; ; i++ {
		it, ok, _, err := q.take()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if i != n {
				t.Fatalf("got %d items, want %d", i, n)
			}
			break
		}
		want := strconv.Itoa(i) + strings.Repeat("x", i%700)
		if it.text != want || it.num != i || it.line != i*2 || it.offset != int64(i)*3 || it.table != "t"+strconv.Itoa(i%3) || it.data != (i%2 == 0) {
			t.Fatalf("item %d: got %+v", i, it)
		}
	}
	wg.Wait()
	q.discard()
}

// TestQueueFollow: follow hands out the items a run accepts, in order,
// from memory and from the spill file; it leaves the first one it does not
// accept for take; it waits while the queue is empty, and returns when
// the queue is sealed or closed, or quit says so.
func TestQueueFollow(t *testing.T) {
	t.Parallel()
	q := newQueue(newBudget(1<<10, 1<<30, t.TempDir())) // two items in memory, the rest spilled
	row := func(i int) item {
		return item{text: strconv.Itoa(i) + strings.Repeat("x", 400), table: "a", ld: &ldItem{charset: "utf8mb4"}}
	}
	push := func(it item) {
		t.Helper()
		if err := q.push(it); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		push(row(i))
	}
	push(item{text: "ALTER TABLE `a` ENABLE KEYS", table: "a"})
	accept := func(it *item) bool { return it.ld != nil && it.table == "a" }
	never := func() bool { return false }
	if it, ok, _, err := q.take(); err != nil || !ok || it.text != row(0).text {
		t.Fatalf("take: %q %v %v", it.text, ok, err)
	}
	for i := 1; i < 6; i++ {
		it, ok, err := q.follow(accept, never, time.Hour)
		if err != nil || !ok || it.text != row(i).text || it.ld == nil {
			t.Fatalf("follow %d: %q %v %v", i, it.text, ok, err)
		}
	}
	if it, ok, err := q.follow(accept, never, time.Hour); err != nil || ok {
		t.Fatalf("follow handed out %q (%v, %v): want the ENABLE KEYS left first", it.text, ok, err)
	}
	if it, ok, _, err := q.take(); err != nil || !ok || !strings.Contains(it.text, "ENABLE KEYS") {
		t.Fatalf("take after follow: %q %v %v", it.text, ok, err)
	}

	type result struct {
		it  item
		ok  bool
		err error
	}
	follow := func(quit func() bool) chan result {
		c := make(chan result, 1)
		go func() {
			it, ok, err := q.follow(accept, quit, time.Hour)
			c <- result{it, ok, err}
		}()
		return c
	}
	waits := func(c chan result) {
		t.Helper()
		select {
		case r := <-c:
			t.Fatalf("follow returned on an empty queue: %+v", r)
		case <-time.After(50 * time.Millisecond):
		}
	}
	got := func(c chan result, ok bool) {
		t.Helper()
		r := <-c
		if r.err != nil || r.ok != ok {
			t.Fatalf("follow: ok %v err %v, want ok %v", r.ok, r.err, ok)
		}
	}
	c := follow(never)
	waits(c)
	push(row(7))
	got(c, true)
	c = follow(never)
	waits(c)
	q.seal()
	got(c, false)
	push(row(8)) // a push clears the seal
	got(follow(never), true)
	var stop atomic.Bool
	c = follow(stop.Load)
	waits(c)
	stop.Store(true)
	q.wake()
	got(c, false)
	if it, ok, err := q.follow(accept, never, 30*time.Millisecond); ok || err != nil {
		t.Fatalf("follow on an empty queue with a short wait: %q %v %v", it.text, ok, err)
	}
	c = follow(never)
	q.close()
	got(c, false)
	q.discard()
}

// TestDefaultParallel pins the loading connections per client cores: on
// two cores three, not four (a fourth only contends for them).
func TestDefaultParallel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ ncpu, want int }{{1, 2}, {2, 3}, {3, 4}, {16, 4}} {
		if got := defaultParallel(c.ncpu); got != c.want {
			t.Errorf("defaultParallel(%d) = %d, want %d", c.ncpu, got, c.want)
		}
	}
}
