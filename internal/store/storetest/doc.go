// Package storetest is the conformance suite of the store port: the
// behaviour every store.Store driver must show, written once and run
// against each driver (SQLite, PostgreSQL) from that driver's own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openEmpty(t) })
//	}
//
// The suite is the executable half of the port's documentation. Where the
// doc comments in package store leave a choice open, the suite settles it,
// so that the domain packages can rely on one behaviour whatever the
// driver:
//
//   - Times come back in UTC, equal to what was stored to the millisecond
//     at least; the zero time comes back as the zero time.
//   - Empty maps and lists may come back nil or empty.
//   - List methods return an empty result, not ErrNotFound, for an unknown
//     parent.
//   - ErrNotFound and ErrDuplicate are matched with errors.Is, and an
//     ErrDuplicate from AppendItem, PutResource, PutContactFlow or
//     PutFlowVersion leaves the transaction usable.
//   - Resource names are case-sensitive and ListResources sorts them byte
//     by byte (upper case before lower case).
//   - Contact routings and assignments are keyed by their ID alone: a put
//     naming another instance than the stored record is ErrDuplicate and
//     changes nothing.
//   - Routing times keep microseconds, which queue order depends on.
//     ListQueued with a limit of 0 or less has no limit; ListContactRoutings
//     with no states returns nothing.
//   - Contact flows and flow runs are keyed by their ID alone, like
//     contact routings; flow names sort like resource names. Flow-log IDs
//     increase in the order records were appended; ListFlowLogs with a
//     limit of 0 or less has no limit.
//   - PutIdempotent on an existing (scope, key) is ErrDuplicate: the first
//     result stands.
//   - Expiry bounds are strict: "expired before t" keeps records expiring
//     at t; a timer due at now is due.
//   - NextTimer reports when the earliest timer can next be claimed: its due
//     time, or the end of its lease while it is claimed.
//
// Each subtest opens a fresh, empty store; subtests run in parallel.
package storetest
