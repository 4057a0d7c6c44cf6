package ui

import (
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Two people edit one contact: an edit of a field nobody else touched is
// kept along with the other's change; an edit of a field the other changed
// meanwhile is refused, so neither edit is lost silently.
func TestConcurrentEditsLoseNothing(t *testing.T) {
	s := openDemo(t, 50)
	d := drive(t, newTestModel(s), 120, 40)
	d.keys("2", "enter")
	id := d.m.screens[tabContacts].(*contacts).detail.id
	// Someone else changes the city while this session looks at the contact.
	if err := s.UpdateContact("other", id, func(c *gdpr.Contact) error { c.City = "Graz"; return nil }); err != nil {
		t.Fatal(err)
	}
	// This session, with the old values in its form, changes the phone.
	d.keys("e", "enter", "enter", "enter", "ctrl+u")
	d.typeText("+43 1 234 567")
	for range 8 {
		d.keys("enter")
	}
	c, _ := s.Contact(id)
	if c.City != "Graz" || c.Phone != "+43 1 234 567" {
		t.Fatalf("after both edits: city %q phone %q", c.City, c.Phone)
	}
	// Now both change the city: the second is refused.
	if err := s.UpdateContact("other", id, func(c *gdpr.Contact) error { c.City = "Linz"; return nil }); err != nil {
		t.Fatal(err)
	}
	d.keys("e")
	for range 5 {
		d.keys("enter")
	}
	d.keys("ctrl+u")
	d.typeText("Wien")
	for range 6 {
		d.keys("enter")
	}
	d.mustShow("changed by someone else")
	if c, _ := s.Contact(id); c.City != "Linz" {
		t.Fatalf("city %q: the other session's edit was overwritten", c.City)
	}
}
