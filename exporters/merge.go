package exporters

import (
	"slices"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// MergeContact merges an imported contact into another (SPEC §6): into the
// stored contact its email matches, or into an earlier row of the same file.
// A non-empty field of src replaces dst's and an empty one never clears it;
// tags and lawful bases are unioned (bases by basis, the first assignment
// kept); consent records are appended unless one with the same purpose,
// grant and time is there; a marketing objection is kept, the earlier of
// two; custom fields are merged key by key. The store then settles the
// consent history (gdpr.SettleImportedConsents). It returns
// the canonical names of the fields that changed ("custom:<Name>" for a
// custom field, "consents" for the consent history), in column order.
//
// Three rules keep an import from undoing what the owner did in gdprdesk:
//   - the status can become restricted but never goes back to active (a
//     restriction or objection is lifted in the app, with its request) and
//     never becomes anonymized;
//   - nothing is merged into an anonymized contact;
//   - a zero balance and a false open_contract count as empty, so an old
//     file cannot wipe out an obligation.
//
// When the email differs (a caller merging by another key), the old address
// is kept in PastEmails so that suppression still covers it on erasure.
func MergeContact(dst *gdpr.Contact, src gdpr.Contact) (changed []string) {
	if dst.Status == gdpr.ContactAnonymized {
		return nil
	}
	text := func(name string, d *string, s string) {
		if s != "" && s != *d {
			*d = s
			changed = append(changed, name)
		}
	}
	if src.Email != "" && !gdpr.SameEmail(src.Email, dst.Email) {
		if dst.Email != "" && !slices.Contains(dst.PastEmails, dst.Email) {
			dst.PastEmails = append(dst.PastEmails, dst.Email)
		}
		dst.Email = src.Email
		changed = append(changed, ColEmail)
	}
	text(ColFirstName, &dst.FirstName, src.FirstName)
	text(ColLastName, &dst.LastName, src.LastName)
	text(ColPhone, &dst.Phone, src.Phone)
	text(ColStreet, &dst.Street, src.Street)
	text(ColCity, &dst.City, src.City)
	text(ColRegion, &dst.Region, src.Region)
	text(ColPostalCode, &dst.PostalCode, src.PostalCode)
	text(ColCountry, &dst.Country, src.Country)
	text(ColCompany, &dst.Company, src.Company)
	text(ColNotes, &dst.Notes, src.Notes)
	text(ColSource, &dst.Source, src.Source)

	tagged := false
	for _, t := range src.Tags {
		if t != "" && !dst.HasTag(t) {
			dst.Tags = append(dst.Tags, t)
			tagged = true
		}
	}
	if tagged {
		changed = append(changed, ColTags)
	}

	if src.Status == gdpr.ContactRestricted && dst.Status != gdpr.ContactRestricted {
		dst.Status = gdpr.ContactRestricted
		changed = append(changed, ColStatus)
	}

	based := false
	for _, a := range src.Bases {
		if dst.AddBasis(a) {
			based = true
		}
	}
	if based {
		changed = append(changed, ColBases)
	}

	if !src.CreatedAt.IsZero() && !src.CreatedAt.Equal(dst.CreatedAt) {
		dst.CreatedAt = src.CreatedAt
		changed = append(changed, ColCreatedAt)
	}
	if src.Balance != 0 && src.Balance != dst.Balance {
		dst.Balance = src.Balance
		changed = append(changed, ColBalanceCents)
	}
	if src.OpenContract && !dst.OpenContract {
		dst.OpenContract = true
		changed = append(changed, ColOpenContract)
	}

	consented := false
	for _, r := range src.Consents {
		if !slices.ContainsFunc(dst.Consents, func(d gdpr.ConsentRecord) bool {
			return d.Purpose == r.Purpose && d.Granted == r.Granted && d.At.Equal(r.At)
		}) {
			dst.Consents = append(dst.Consents, r)
			consented = true
		}
	}
	if consented {
		changed = append(changed, "consents")
	}
	// An objection to marketing (Art. 21(3)) in the file is kept; the
	// earlier of two stands (it is permanent from then on).
	if src.Objected() && (!dst.Objected() || src.MarketingObjection.Before(dst.MarketingObjection)) {
		dst.MarketingObjection = src.MarketingObjection
		changed = append(changed, "marketing objection")
	}

	keys := make([]string, 0, len(src.Custom))
	for k, v := range src.Custom {
		if v != "" && dst.Custom[k] != v {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if dst.Custom == nil {
			dst.Custom = map[string]string{}
		}
		dst.Custom[k] = src.Custom[k]
		changed = append(changed, CustomPrefix+k)
	}
	return changed
}
