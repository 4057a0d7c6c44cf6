// Package exporters holds every file format gdprdesk reads or writes: the
// contacts CSV, access packages, the audit export, and the demo data set,
// which is a source of contacts like an import. It depends on the domain
// (gdpr) and reads the store only through small interfaces.
package exporters
