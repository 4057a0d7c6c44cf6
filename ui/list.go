package ui

import (
	"charm.land/bubbles/v2/key"
	bt "charm.land/bubbletea/v2"
)

// cursor is the position in a short list held in memory (requests,
// checklist items, a page of audit entries): the selected index and the
// first visible one.
type cursor struct {
	sel, top int
}

// move handles the list keys; it reports whether the key was one of them.
func (c *cursor) move(k KeyMap, msg bt.KeyPressMsg, n, height int) bool {
	page := max(height-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		c.sel--
	case key.Matches(msg, k.Down):
		c.sel++
	case key.Matches(msg, k.PageUp):
		c.sel -= page
	case key.Matches(msg, k.PageDown):
		c.sel += page
	case key.Matches(msg, k.Home):
		c.sel = 0
	case key.Matches(msg, k.End):
		c.sel = n - 1
	default:
		return false
	}
	c.clamp(n, height)
	return true
}

func (c *cursor) clamp(n, height int) {
	c.sel = min(max(c.sel, 0), max(n-1, 0))
	height = max(height, 1)
	if c.sel < c.top {
		c.top = c.sel
	}
	if c.sel >= c.top+height {
		c.top = c.sel - height + 1
	}
	c.top = max(min(c.top, n-height), 0)
}

// visible is the range of indexes shown.
func (c *cursor) visible(n, height int) (from, to int) {
	c.clamp(n, height)
	return c.top, min(c.top+height, n)
}
