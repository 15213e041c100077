// Package sqlite is Parley's embedded store driver: store.Store on one
// SQLite file, in pure Go (modernc.org/sqlite), with no server to run.
//
// # One writer, many readers
//
// SQLite lets one connection write at a time, so the driver stops pretending
// otherwise: a single write connection is owned by one writer goroutine, and
// every Store.Write (and ClaimTimers, which writes) is a request queued to it.
// Reads (Get*, List*, LookupToken, NextTimer) go to a separate pool of
// read-only connections and, thanks to WAL mode, never wait for the writer;
// they see the last committed state.
//
// Because the writer is the only writer, a Write already excludes every
// other one for its whole duration: Tx.LockContact is a plain read,
// Tx.LockRouting has nothing left to lock, and claiming timers needs no row
// locks.
//
// # Group commit
//
// The cost of a durable write is the commit, not the statements. So the
// writer takes every request that is waiting (up to Options.MaxBatch, 256 by
// default) and runs them in one transaction, each inside its own SAVEPOINT:
//
//	BEGIN IMMEDIATE
//	  SAVEPOINT w; fn₁; RELEASE w
//	  SAVEPOINT w; fn₂ fails → ROLLBACK TO w; RELEASE w   (only fn₂ is undone)
//	  SAVEPOINT w; fn₃; RELEASE w
//	COMMIT
//
// A Write whose fn fails gets its own error back at once, untouched, and the
// others are unaffected. The others are answered only after COMMIT, so a
// nil from Write always means "committed". Under load one commit serves many
// callers; with a single caller it is an ordinary transaction.
//
// A caller's context bounds its wait in the queue. Cancelled before the
// writer took it, a Write is skipped and returns the context's error, having
// written nothing. Once taken it runs to the end: its statements never see
// the caller's context, because interrupting a statement can abort the
// transaction that other callers share.
//
// If the shared transaction itself breaks (an I/O error, which SQLite may
// answer by rolling everything back), the Write that hit it gets the error
// and the innocent Writes of the batch are run again in a fresh one, as the
// port allows (fn may run more than once), up to three times.
//
// # Durability
//
// The database runs in WAL mode with synchronous=NORMAL by default. A commit
// has then reached the operating system before Write returns, so it
// survives the Parley process being killed or crashing, which is the
// promise Parley makes. It does not survive power loss or a kernel crash:
// the last commits may be lost (the database stays consistent). Set
// Options.Synchronous to SyncFull to fsync the WAL on every commit and
// survive those too; group commit keeps that affordable, as one fsync covers
// a whole batch.
//
// # Schema
//
// Migrations are numbered SQL files embedded in the binary and applied with
// goose when the store opens. Times are stored as INTEGER unix microseconds
// in UTC (0 is the zero time) and come back in UTC; durations as integer
// nanoseconds; maps and lists as JSON text.
package sqlite
