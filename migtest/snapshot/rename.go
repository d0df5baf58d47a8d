package snapshot

import "slices"

// renames turns, among the changes from index from on (one table's
// columns), a removed column and an added one into a rename when they are
// the only ones, at the same position, or when their definitions are equal:
// what RenameColumn or CHANGE old new does, shown as one change.
func (d *differ) renames(from int, x, y []Column) {
	var removed, added []int
	for i := from; i < len(d.changes); i++ {
		switch c := d.changes[i]; {
		case c.Kind != "column":
		case c.Op == Removed:
			removed = append(removed, i)
		case c.Op == Added:
			added = append(added, i)
		}
	}
	if len(removed) == 0 || len(added) == 0 {
		return
	}
	pos := func(cs []Column, name string) int {
		return slices.IndexFunc(cs, func(c Column) bool { return d.prefix+ident(c.Name) == name })
	}
	used := map[int]bool{}
	drop := map[int]bool{}
	for _, ri := range removed {
		r := d.changes[ri]
		best, bestScore := -1, 0
		for _, ai := range added {
			a := d.changes[ai]
			if used[ai] {
				continue
			}
			samePlace := pos(x, r.Name) >= 0 && pos(x, r.Name) == pos(y, a.Name)
			equal := r.Old == a.New
			if !equal && !(len(removed) == 1 && len(added) == 1 && samePlace) {
				continue
			}
			// Among equal definitions, the one in the removed column's place
			// (RENAME COLUMN keeps it), then the likest name.
			score := 1 + commonPrefix(r.Name, a.Name)
			if samePlace {
				score += 1 << 16
			}
			if score > bestScore {
				best, bestScore = ai, score
			}
		}
		if best >= 0 {
			a := d.changes[best]
			used[best], drop[best] = true, true
			d.changes[ri] = Change{Op: Changed, Kind: "column", Name: r.Name, To: a.Name[len(d.prefix):], Old: r.Old, New: a.New}
		}
	}
	out := d.changes[:from]
	for i, c := range d.changes[from:] {
		if !drop[from+i] {
			out = append(out, c)
		}
	}
	d.changes = out
}

// commonPrefix is the length of the prefix a and b share.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
