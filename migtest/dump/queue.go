package dump

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// item is one statement queued for a worker connection.
type item struct {
	text   string
	num    int   // statement number, 0 for statements the loader made
	line   int   // line in the input
	offset int64 // byte offset in the (uncompressed) input
	raw    int64 // input bytes the statement accounts for, for progress
	table  string
	data   bool // count affected rows
	// anyOrder: an INSERT that may run before or after the table's other
	// INSERTs, on any worker.
	anyOrder bool
	sync     bool // a no-op marker the dispatcher waits on
	// epoch is the number of session broadcasts (SET statements run on
	// every connection) read before it: a connection that takes it over
	// replays that many first (steal.go).
	epoch int64
	// ld: the worker may load its rows through LOAD DATA (loaddata.go).
	ld *ldItem
}

// budget is the memory the queues may hold together; past it they spill
// to files, up to a limit on disk.
type budget struct {
	mu        sync.Mutex
	cond      *sync.Cond
	mem, max  int64
	disk, cap int64
	dir       string
	closed    bool
	// held is the part of mem that segments hold for a replay
	// (segment.go): at most half of max.
	held int64
}

// hold counts size bytes of a statement a segment keeps until it commits;
// false when segments hold half the memory already.
func (b *budget) hold(size int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held > 0 && b.held+size > b.max/2 {
		return false
	}
	b.held += size
	b.mem += size
	return true
}

// release gives back what hold counted.
func (b *budget) release(size int64) {
	b.mu.Lock()
	b.held -= size
	b.mem -= size
	b.mu.Unlock()
}

func newBudget(mem, disk int64, dir string) *budget {
	b := &budget{max: mem, cap: disk, dir: dir}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// queue is an unbounded FIFO of items for one worker: in memory while the
// budget allows, then in a spill file, always in order.
type queue struct {
	b    *budget
	mu   sync.Mutex
	cond *sync.Cond
	mem  []item
	head int

	spill     *os.File
	w         *bufio.Writer
	r         *bufio.Reader
	spilled   int   // items written to the spill file and not read yet
	diskBytes int64 // bytes of those items
	// front is an item follow read and did not hand out: it comes first.
	front  *item
	closed bool
	// sealed: the producer waits for the workers, so a segment waiting
	// for more input ends (follow); the next push clears it.
	sealed bool
	err    error
	// stolen counts its items another worker took and has not finished
	// (steal.go): until it is 0, pop hands out no item that must run in
	// order. kicked wakes an idle consumer to look for such work.
	stolen int
	kicked bool
	// last is the item its consumer took last: only a run of order-free
	// items that continues it may be taken over.
	last struct {
		free  bool
		table string
		epoch int64
		// ran: an item of its run (the order-free items of its table and
		// epoch it took one after the other) ran without an error.
		ran bool
	}
}

func newQueue(b *budget) *queue {
	q := &queue{b: b}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func itemSize(it *item) int64 { return int64(len(it.text) + len(it.table) + 64) }

// push appends it. It blocks while the disk budget is exhausted.
func (q *queue) push(it item) error {
	size := itemSize(&it)
	b := q.b
	// Only the producer adds to a queue, so a spill count of zero seen here
	// stays zero until this push: everything spilled has been read.
	q.mu.Lock()
	spilling, empty := q.spilled > 0, q.head == len(q.mem)
	q.mu.Unlock()
	b.mu.Lock()
	inMem := !spilling && (b.mem+size <= b.max || empty)
	if inMem {
		b.mem += size
	} else {
		for b.disk+size > b.cap && b.disk > 0 && !b.closed {
			b.cond.Wait()
		}
		if b.closed {
			b.mu.Unlock()
			return errClosed
		}
		b.disk += size
	}
	b.mu.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	if inMem {
		q.mem = append(q.mem, it)
	} else {
		if err := q.write(&it); err != nil {
			q.err = err
			return err
		}
		q.spilled++
		q.diskBytes += size
	}
	q.sealed = false
	q.cond.Signal()
	return nil
}

var errClosed = errors.New("queue closed")

// take returns the next item, waiting for one; ok is false once the
// queue is closed and empty. It also returns, with kicked set, when kick
// is called while the queue is empty (steal.go).
func (q *queue) take() (it item, ok, kicked bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.err != nil {
			return item{}, false, false, q.err
		}
		if next := q.peekLocked(); next != nil && q.stolen > 0 && !next.anyOrder {
			q.cond.Wait() // a statement that must come after what another worker took
			continue
		}
		if q.front != nil || q.head < len(q.mem) {
			return q.popLocked(), true, false, nil
		}
		if q.spilled > 0 && q.stolen > 0 {
			q.cond.Wait() // read back in order once the taken items are done
			continue
		}
		if q.spilled > 0 {
			it, err := q.readSpilledLocked()
			return it, err == nil, false, err
		}
		if q.closed {
			return item{}, false, false, nil
		}
		if q.kicked {
			q.kicked = false
			return item{}, false, true, nil
		}
		q.cond.Wait()
	}
}

// follow is take for a segment (segment.go): it returns the next item
// only when next accepts it, and ok false, leaving the item first, when
// not. It waits up to wait while the queue is empty, unless the queue is
// closed or sealed or quit reports true; it never hands out an item while
// another worker holds one of the queue's.
func (q *queue) follow(next func(*item) bool, quit func() bool, wait time.Duration) (it item, ok bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	deadline := time.Now().Add(wait)
	for timer := (*time.Timer)(nil); ; {
		switch {
		case q.err != nil:
			return item{}, false, q.err
		case quit() || q.stolen > 0:
			return item{}, false, nil
		case q.front != nil || q.head < len(q.mem):
			if !next(q.peekLocked()) {
				return item{}, false, nil
			}
			it = q.popLocked()
			q.last.free = false
			return it, true, nil
		case q.spilled > 0:
			it, err := q.readSpilledLocked()
			if err != nil {
				return item{}, false, err
			}
			if !next(&it) {
				q.front = &it
				return item{}, false, nil
			}
			return it, true, nil
		case q.closed || q.sealed || !time.Now().Before(deadline):
			return item{}, false, nil
		}
		if timer == nil {
			timer = time.AfterFunc(wait, q.wake)
			defer timer.Stop()
		}
		q.cond.Wait()
	}
}

// unread puts back an item follow handed out, first.
func (q *queue) unread(it item) {
	q.mu.Lock()
	q.front = &it
	q.mu.Unlock()
}

// seal ends a segment waiting for more input (follow).
func (q *queue) seal() {
	q.mu.Lock()
	q.sealed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// wake makes a consumer waiting in follow look at quit again.
func (q *queue) wake() {
	q.mu.Lock()
	q.cond.Broadcast()
	q.mu.Unlock()
}

// peekLocked returns the next item in memory, nil if there is none.
func (q *queue) peekLocked() *item {
	if q.front != nil {
		return q.front
	}
	if q.head < len(q.mem) {
		return &q.mem[q.head]
	}
	return nil
}

// popLocked removes and returns the next item in memory.
func (q *queue) popLocked() item {
	if it := q.front; it != nil {
		q.front = nil
		q.last.free, q.last.ran = false, false
		return *it
	}
	it := q.mem[q.head]
	q.mem[q.head] = item{}
	q.head++
	same := q.last.free && it.anyOrder && it.table == q.last.table && it.epoch == q.last.epoch
	q.last.free, q.last.table, q.last.epoch, q.last.ran = it.anyOrder, it.table, it.epoch, same && q.last.ran
	if q.head == len(q.mem) {
		q.mem, q.head = q.mem[:0], 0
	}
	q.b.mu.Lock()
	q.b.mem -= itemSize(&it)
	q.b.mu.Unlock()
	return it
}

// readSpilledLocked reads the next item back from the spill file.
func (q *queue) readSpilledLocked() (item, error) {
	it, err := q.read()
	if err != nil {
		q.err = err
		return item{}, err
	}
	size := itemSize(&it)
	q.last.free, q.last.ran = false, false
	q.spilled--
	q.diskBytes -= size
	if q.spilled == 0 {
		// drained: start the file over
		if err := q.reset(); err != nil {
			q.err = err
			return item{}, err
		}
	}
	q.b.mu.Lock()
	q.b.disk -= size
	q.b.cond.Broadcast()
	q.b.mu.Unlock()
	return it, nil
}

// close wakes the consumer; it drains what is queued, then stops.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// discard drops everything queued and removes the spill file.
func (q *queue) discard() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.b.mu.Lock()
	for _, it := range q.mem[q.head:] {
		q.b.mem -= itemSize(&it)
	}
	q.b.disk -= q.diskBytes
	q.b.cond.Broadcast()
	q.b.mu.Unlock()
	q.mem, q.head, q.spilled, q.diskBytes, q.front = nil, 0, 0, 0, nil
	if q.spill != nil {
		name := q.spill.Name()
		q.spill.Close()
		os.Remove(name)
		q.spill = nil
	}
	if q.err == nil {
		q.err = errClosed
	}
	q.cond.Broadcast()
}

func (q *queue) write(it *item) error {
	if q.spill == nil {
		f, err := os.CreateTemp(q.b.dir, "migtest-restore-*.spool")
		if err != nil {
			return fmt.Errorf("spool statements to disk: %w (set a writable directory with dump.WithTempDir)", err)
		}
		q.spill = f
		q.w = bufio.NewWriterSize(f, 1<<20)
		q.r = bufio.NewReaderSize(&growingReader{f: f}, 1<<20)
	}
	var hdr [5 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(it.text)))
	n += binary.PutUvarint(hdr[n:], uint64(len(it.table)))
	n += binary.PutUvarint(hdr[n:], uint64(it.num))
	n += binary.PutUvarint(hdr[n:], uint64(it.line))
	n += binary.PutUvarint(hdr[n:], uint64(it.offset))
	flags := byte(0)
	if it.data {
		flags |= 1
	}
	if it.sync {
		flags |= 2
	}
	if it.ld != nil {
		flags |= 4
	}
	var rawb [binary.MaxVarintLen64]byte
	rn := binary.PutUvarint(rawb[:], uint64(it.raw))
	if _, err := q.w.Write(hdr[:n]); err != nil {
		return spoolErr(err)
	}
	if _, err := q.w.Write(rawb[:rn]); err != nil {
		return spoolErr(err)
	}
	if err := q.w.WriteByte(flags); err != nil {
		return spoolErr(err)
	}
	if _, err := q.w.WriteString(it.text); err != nil {
		return spoolErr(err)
	}
	if _, err := q.w.WriteString(it.table); err != nil {
		return spoolErr(err)
	}
	if it.ld != nil {
		return q.writeLD(it.ld)
	}
	return nil
}

// writeLD spools what an item's LOAD DATA needs besides its table, whose
// ldTable the worker looks up again (loader.spooledLD).
func (q *queue) writeLD(ld *ldItem) error {
	ansi := byte(0)
	if ld.ansi {
		ansi = 1
	}
	if err := q.w.WriteByte(ansi); err != nil {
		return spoolErr(err)
	}
	if err := q.w.WriteByte(byte(len(ld.charset))); err != nil {
		return spoolErr(err)
	}
	if _, err := q.w.WriteString(ld.charset); err != nil {
		return spoolErr(err)
	}
	return nil
}

// readLD reads what writeLD wrote; its ldTable is left nil.
func (q *queue) readLD() (*ldItem, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(q.r, hdr[:]); err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	cs := make([]byte, hdr[1])
	if _, err := io.ReadFull(q.r, cs); err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	return &ldItem{ansi: hdr[0] == 1, charset: string(cs)}, nil
}

func spoolErr(err error) error {
	return fmt.Errorf("spool statements to disk: %w (free some space or set another directory with dump.WithTempDir)", err)
}

func (q *queue) read() (item, error) {
	if q.w.Buffered() > 0 {
		if err := q.w.Flush(); err != nil {
			return item{}, spoolErr(err)
		}
	}
	var it item
	u := func() uint64 {
		v, err := binary.ReadUvarint(q.r)
		if err != nil && q.err == nil {
			q.err = fmt.Errorf("read spool: %w", err)
		}
		return v
	}
	lt, ltab := u(), u()
	it.num, it.line, it.offset, it.raw = int(u()), int(u()), int64(u()), int64(u())
	if q.err != nil {
		return item{}, q.err
	}
	flags, err := q.r.ReadByte()
	if err != nil {
		return item{}, fmt.Errorf("read spool: %w", err)
	}
	it.data, it.sync = flags&1 != 0, flags&2 != 0
	buf := make([]byte, lt+ltab)
	if _, err := io.ReadFull(q.r, buf); err != nil {
		return item{}, fmt.Errorf("read spool: %w", err)
	}
	it.text, it.table = string(buf[:lt]), string(buf[lt:])
	if flags&4 != 0 {
		if it.ld, err = q.readLD(); err != nil {
			return item{}, err
		}
	}
	return it, nil
}

func (q *queue) reset() error {
	if err := q.w.Flush(); err != nil {
		return spoolErr(err)
	}
	if err := q.spill.Truncate(0); err != nil {
		return spoolErr(err)
	}
	if _, err := q.spill.Seek(0, io.SeekStart); err != nil {
		return spoolErr(err)
	}
	q.w.Reset(q.spill)
	q.r.Reset(&growingReader{f: q.spill})
	return nil
}

// growingReader reads a file that is still being appended to. Unlike an
// io.SectionReader it never reports io.EOF together with data, which
// bufio.Reader would keep and return after the file has grown.
type growingReader struct {
	f   *os.File
	off int64
}

func (g *growingReader) Read(p []byte) (int, error) {
	n, err := g.f.ReadAt(p, g.off)
	g.off += int64(n)
	if n > 0 {
		return n, nil
	}
	return 0, err
}
