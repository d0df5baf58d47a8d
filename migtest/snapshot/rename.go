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
		for _, ai := range added {
			a := d.changes[ai]
			if used[ai] {
				continue
			}
			samePlace := pos(x, r.Name) >= 0 && pos(x, r.Name) == pos(y, a.Name)
			if r.Old == a.New || (len(removed) == 1 && len(added) == 1 && samePlace) {
				used[ai], drop[ai] = true, true
				d.changes[ri] = Change{Op: Changed, Kind: "column", Name: r.Name, To: a.Name[len(d.prefix):], Old: r.Old, New: a.New}
				break
			}
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
