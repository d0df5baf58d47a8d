package dump

import (
	"strconv"
	"strings"
	"sync"
	"testing"
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
