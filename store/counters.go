package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

func readCounter(txn *badger.Txn, name string) (int64, error) {
	v, err := getValue(txn, counterKey(name))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, errors.New("counter " + name + " is damaged")
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// readCounters reads every counter under n/.
func readCounters(txn *badger.Txn) (map[string]int64, error) {
	out := map[string]int64{}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixCounter, PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		name := string(item.Key()[len(prefixCounter):])
		err := item.Value(func(v []byte) error {
			if len(v) != 8 {
				return errors.New("counter " + name + " is damaged")
			}
			out[name] = int64(binary.BigEndian.Uint64(v))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Counts are the maintained figures the dashboard and checklist show. They
// are read from counters kept in step with every change, never recounted.
type Counts struct {
	Contacts       int64
	EU             int64 // country in the EU/EEA
	EUUnknown      int64 // no country recorded
	WithoutBasis   int64
	EUWithoutBasis int64 // in scope without a basis under the settings' establishment: the contacts of WithoutBasisQuery
	// WithoutBasisQuery is the query of that set (gdpr.WithoutBasisQuery
	// of the settings read with the counters), so a list opened from the
	// figure shows the rows it counted.
	WithoutBasisQuery gdpr.Query
	Restricted        int64
	Anonymized        int64
	ByBasis           map[gdpr.Basis]int64
	OpenRequests      int64
	Overdue           int64
	OverdueByType     map[gdpr.RequestType]int64
}

// Counts reads the maintained counters, and the overdue requests from the
// due-date index of open requests (keys only, open requests only).
func (s *Store) Counts() (Counts, error) {
	var c Counts
	err := s.view(func(txn *badger.Txn) error {
		m, err := readCounters(txn)
		if err != nil {
			return err
		}
		settings, err := readSettings(txn)
		if err != nil {
			return err
		}
		_, unbased := scopeCounters(m, settings)
		c = Counts{Contacts: m[cntContacts], EU: m[cntPrefixEU+string(gdpr.EUYes)], EUUnknown: m[cntPrefixEU+string(gdpr.EUUnknown)],
			WithoutBasis: m[cntNoBasis], EUWithoutBasis: unbased, WithoutBasisQuery: gdpr.WithoutBasisQuery(settings),
			Restricted: m[cntPrefixStatus+string(gdpr.ContactRestricted)], Anonymized: m[cntPrefixStatus+string(gdpr.ContactAnonymized)],
			ByBasis: map[gdpr.Basis]int64{}, OpenRequests: m[cntRequestsOpen]}
		for _, b := range gdpr.Bases() {
			c.ByBasis[b] = m[cntPrefixBasis+string(b)]
		}
		c.OverdueByType, err = overdueByType(txn, s.now())
		for _, n := range c.OverdueByType {
			c.Overdue += n
		}
		return err
	})
	return c, err
}

// scopeCounters reads the size of the in-scope set and of its part without
// a basis under the settings' establishment (gdpr.InScope, Art. 3): every
// held contact for a controller in the EU/EEA or of unset country, the
// EU/EEA and unknown-country ones for a controller outside.
func scopeCounters(m map[string]int64, s gdpr.Settings) (inScope, withoutBasis int64) {
	if s.EstablishedOutsideEEA() {
		return m[cntSubjectsEU], m[cntSubjectsEUNone]
	}
	return m[cntSubjects], m[cntSubjectsNone]
}

// overdueByType counts open requests whose due date is before today. It
// walks only the due index of open requests up to today.
func overdueByType(txn *badger.Txn, now time.Time) (map[gdpr.RequestType]int64, error) {
	out := map[gdpr.RequestType]int64{}
	today := []byte(dateValue(now))
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixDue})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()
		if bytes.Compare(k[len(prefixDue):], today) >= 0 {
			break
		}
		_, t := parseDueKey(k)
		out[t]++
	}
	return out, nil
}

// Snapshot gathers what the checklist's automatic items are evaluated from.
func (s *Store) Snapshot() (gdpr.Snapshot, error) {
	var snap gdpr.Snapshot
	settings, err := s.Settings()
	if err != nil {
		return snap, err
	}
	policies, err := s.PolicyVersions()
	if err != nil {
		return snap, err
	}
	rules, err := s.SourceRules()
	if err != nil {
		return snap, err
	}
	// The registers of SPEC §10 (ropa-complete, lia-recorded, dpia-screened).
	if snap.Purposes, err = s.Purposes(); err != nil {
		return snap, err
	}
	if d, ok, err := s.DPIAScreening(); err != nil {
		return snap, err
	} else if ok {
		snap.DPIA = &d
	}
	recipients, err := s.Recipients()
	if err != nil {
		return snap, err
	}
	snap.Settings, snap.PolicyVersions, snap.Recipients = settings, len(policies), recipients
	if snap.Breaches, err = s.Breaches(); err != nil {
		return snap, err
	}
	_, snap.ConsentWordingInForce = gdpr.InForce(policies, gdpr.PolicyConsent, s.now())
	snap.RuledSource = map[string]bool{}
	for _, r := range rules {
		snap.RuledSource[r.Source] = true
	}
	err = s.view(func(txn *badger.Txn) error {
		m, err := readCounters(txn)
		if err != nil {
			return err
		}
		snap.EUContacts, snap.EUWithoutBasis = scopeCounters(m, settings)
		snap.ConsentContacts, snap.ConsentNoProof = m[cntConsent], m[cntConsentNoProof]
		if len(recipients) > 0 {
			snap.UnnotifiedClosures = m[cntUnnotified]
		}
		for name, n := range m {
			if src, ok := strings.CutPrefix(name, cntPrefixSource); ok && n > 0 {
				snap.Sources = append(snap.Sources, src)
			}
		}
		if snap.Overdue, err = overdueByType(txn, s.now()); err != nil {
			return err
		}
		return s.checkFigures(txn, m, &snap)
	})
	return snap, err
}

// Checklist evaluates the readiness checklist now.
func (s *Store) Checklist() (items []gdpr.ItemStatus, done, applicable int, err error) {
	snap, err := s.Snapshot()
	if err != nil {
		return nil, 0, 0, err
	}
	recs, err := s.ChecklistRecords()
	if err != nil {
		return nil, 0, 0, err
	}
	items, done, applicable = gdpr.Readiness(recs, snap, s.now())
	return items, done, applicable, nil
}
