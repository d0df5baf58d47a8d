package dump

import (
	"database/sql"
)

// Work stealing at the tail of a restore. Each table loads on one
// connection, in dump order; when one large table is left (the 2.8 M
// salaries of an employees-shaped dump), the other connections sit idle
// while it loads. An idle worker then takes over the last queued INSERT of
// such a table, one whose order among the table's INSERTs does not matter
// (item.anyOrder, see orderFree), and runs it on the helper connection.
// The owner goes on from the front of the table's queued INSERTs, the
// helper from the back, so the two insert at different ends of its key.
//
// The rules that keep the result the dump's:
//   - only an order-free INSERT is taken, only while its owner is in the
//     same run (the item it took last is one of them and has run, so
//     whatever came before, such as the CREATE TABLE, has run too, and the
//     table is not empty) and has another queued before it;
//   - the helper connection runs it in the session the owner runs it in:
//     it replays the dump's session statements (SET ...) read before the
//     INSERT, and none after; a SET whose value depends on when it runs
//     (one with a SELECT) ends stealing;
//   - the owner hands out no statement that must run in order (the
//     table's ENABLE KEYS, deferred indexes, DDL, anything else) until the
//     taken item is done (queue.take);
//   - one taken item at a time, and only while fewer connections than the
//     client has cores are busy: on a loaded machine a second connection
//     on one table costs more in latch contention than it gains.

// helper is the connection taken-over items run on (guarded by
// loader.mu, except conn and epoch, which only the worker holding busy
// uses).
type helper struct {
	conn  *sql.Conn
	epoch int64 // the session statements replayed on conn
	busy  bool  // a worker is running a taken item
	off   bool  // stealing has ended
}

// freeRun returns the number of order-free items at the head of q's memory
// that continue the run its consumer is in, and their epoch; 0 while
// another worker holds one of its items.
func (q *queue) freeRun() (int, int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.freeRunLocked(), q.last.epoch
}

func (q *queue) freeRunLocked() int {
	if q.stolen > 0 || !q.last.free || !q.last.ran || q.front != nil {
		return 0
	}
	n := 0
	for _, it := range q.mem[q.head:] {
		if !it.anyOrder || it.table != q.last.table || it.epoch != q.last.epoch {
			break
		}
		n++
	}
	return n
}

// stealLast removes the last item of the head's free run of epoch, when
// the run holds two or more, and counts it as taken until stolenDone.
func (q *queue) stealLast(epoch int64) (item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.freeRunLocked()
	if n < 2 || q.last.epoch != epoch {
		return item{}, false
	}
	i := q.head + n - 1
	it := q.mem[i]
	copy(q.mem[i:], q.mem[i+1:])
	q.mem[len(q.mem)-1] = item{}
	q.mem = q.mem[:len(q.mem)-1]
	q.stolen++
	q.b.mu.Lock()
	q.b.mem -= itemSize(&it)
	q.b.mu.Unlock()
	return it, true
}

// ran records that the item its consumer took last has run without an
// error: the table has rows, so a second connection inserting into it
// does not meet InnoDB's bulk insert into an empty table, which locks the
// whole table until it commits.
func (q *queue) ran() {
	q.mu.Lock()
	q.last.ran = true
	q.mu.Unlock()
}

// stolenDone records that an item stealLast handed out has run.
func (q *queue) stolenDone() {
	q.mu.Lock()
	q.stolen--
	q.cond.Broadcast()
	q.mu.Unlock()
}

// kick wakes the consumer if it waits on an empty queue (take returns
// with kicked set).
func (q *queue) kick() {
	q.mu.Lock()
	if q.head >= len(q.mem) && q.front == nil && q.spilled == 0 && !q.closed {
		q.kicked = true
		q.cond.Broadcast()
	}
	q.mu.Unlock()
}

// canHelp reports whether an idle worker may take an item over now.
// l.mu must be held.
func (l *loader) canHelp() bool {
	return l.running < l.cfg.stealBelow && !l.help.busy && !l.help.off && l.err == nil
}

// kickIdle wakes the idle workers to look for an item to take over.
func (l *loader) kickIdle() {
	l.mu.Lock()
	room := l.canHelp()
	l.mu.Unlock()
	if !room {
		return
	}
	for _, w := range l.workers {
		w.q.kick()
	}
}

// noReplay ends stealing: the session statements can no longer be
// replayed on the helper connection with the same result.
func (l *loader) noReplay() {
	l.mu.Lock()
	l.help.off = true
	l.mu.Unlock()
}

// helpOut lets the idle worker w take over an item from the queue with
// the longest free run, and run it on the helper connection; it reports
// whether it did.
func (l *loader) helpOut(w *worker) bool {
	l.mu.Lock()
	if !l.canHelp() {
		l.mu.Unlock()
		return false
	}
	l.help.busy = true
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.help.busy = false
		l.mu.Unlock()
	}()
	var owner *worker
	var epoch int64
	best := 1
	for _, o := range l.workers {
		if n, e := o.q.freeRun(); o != w && n > best && e >= l.help.epoch {
			owner, epoch, best = o, e, n
		}
	}
	if owner == nil || !l.helperAt(epoch) {
		return false
	}
	it, ok := owner.q.stealLast(epoch)
	return ok && l.runItem(w, owner, l.help.conn, &it)
}

// helperAt readies the helper connection for items of epoch: it opens it
// and replays the session statements it has not run. A failure ends
// stealing (the restore goes on without it).
func (l *loader) helperAt(epoch int64) bool {
	h := &l.help
	if h.conn == nil {
		c, err := l.db.Conn(l.ctx)
		if err == nil {
			if _, err = c.ExecContext(l.ctx, "USE "+quoteIdent(l.target)); err != nil {
				discard(c)
			}
		}
		if err != nil {
			l.debug("no helper connection: idle connections will not take over INSERTs", "why", err)
			l.noReplay()
			return false
		}
		h.conn = c
	}
	l.mu.Lock()
	sets := l.sets[h.epoch:epoch]
	l.mu.Unlock()
	for _, set := range sets {
		for _, q := range set {
			if _, err := h.conn.ExecContext(l.ctx, q); err != nil {
				l.debug("the helper connection could not replay a session statement: idle connections will not take over INSERTs", "statement", q, "why", err)
				l.noReplay()
				return false
			}
		}
		h.epoch++
	}
	return true
}
