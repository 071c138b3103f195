/// The daemon's memory across restarts: `data_dir/exporterd.sqlite`, one SQLite connection.
///
/// Each poll is committed as ONE transaction holding the documents the daemon registers
/// (`accounting`, `proxied`, …, as JSON) and the poll's events, numbered on from the last stored
/// one. Everything of a poll is stored or nothing, so after a crash the daemon resumes from the
/// previous poll and derives the lost poll's events again: none is missing, none is doubled
/// (CONTRACT §4 counters resume, §6 events without gaps or duplicates).
///
/// Durability: WAL with `synchronous=FULL` fsyncs the log at every commit, so a poll whose
/// commit returned survives `kill -9` and power loss alike.
///
/// Failure policy: an unopenable file (`.cannotOpen`, `.newerSchema`) stops the daemon, as it
/// could persist nothing. A corrupt document (`StoredState.document`) is quarantined and that
/// document alone starts fresh. A failed commit (`.sqlite`) leaves the previous poll stored; the
/// daemon logs it and tries again with the next poll.
///
/// Single writer: a `flock` on `exporterd.lock` keeps a second exporterd off the same data_dir
/// (the kernel drops it when the process dies, even by `kill -9`). Call `close()` before
/// dropping the store.
import Diagnostics
import Foundation
import Logging
import SQLiteNIO

public actor MigrationStore {
    public static let fileName = "exporterd.sqlite"
    public static let lockFileName = "exporterd.lock"

    public nonisolated let path: String
    private var connection: SQLiteConnection?
    private var lockDescriptor: Int32
    /// Sequence number of the last stored event; 0 before the first.
    public private(set) var lastSequence: Int64

    /// Actor methods interleave at every `await`; this keeps one transaction at a time on the
    /// connection (SQLite has no nested BEGIN) without blocking a thread.
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Test seam: makes `commitPoll` fail with a real SQLite error at that point.
    enum InjectedFault: Sendable { case afterDocuments, afterEvents }
    var injectedFault: InjectedFault?
    func inject(_ fault: InjectedFault?) { injectedFault = fault }

    private init(path: String, connection: SQLiteConnection, lockDescriptor: Int32, lastSequence: Int64) {
        self.path = path
        self.connection = connection
        self.lockDescriptor = lockDescriptor
        self.lastSequence = lastSequence
    }

    /// Opens (creating `dataDirectory` and the file when missing) and migrates the store.
    public static func open(
        dataDirectory: String, logger: Logger = Logger(label: "exporterd.store")
    ) async throws(MigrationStoreError) -> MigrationStore {
        let directory = URL(fileURLWithPath: dataDirectory, isDirectory: true)
        try createDataDirectory(directory.path)
        let path = directory.appendingPathComponent(fileName).path
        let lock = try lockDataDirectory(directory.appendingPathComponent(lockFileName).path, database: path)
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            closeDescriptor(lock)
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        do throws(MigrationStoreError) {
            let last = try await prepare(connection, path: path)
            logger.info("store opened", metadata: ["path": "\(path)", "last_seq": "\(last)"])
            return MigrationStore(path: path, connection: connection, lockDescriptor: lock, lastSequence: last)
        } catch {
            try? await connection.close()
            closeDescriptor(lock)
            throw error
        }
    }

    /// Closes the connection (a clean shutdown checkpoints the WAL) and releases data_dir.
    public func close() async throws(MigrationStoreError) {
        try await exclusively { () async throws(MigrationStoreError) in
            guard let connection else { return }
            self.connection = nil
            defer { closeDescriptor(lockDescriptor) }
            do { try await connection.close() } catch {
                throw .sqlite(path: path, operation: "close", reason: "\(error)")
            }
        }
    }

    /// The last committed poll's documents; nil when no poll was ever committed.
    public func restore() async throws(MigrationStoreError) -> StoredState? {
        try await transaction("restore", begin: "BEGIN") { (db) async throws(MigrationStoreError) -> StoredState? in
            let commits = try await run(db, "SELECT polls, committed_at FROM poll_commits WHERE id = 1", operation: "restore")
            guard let row = commits.first, let polls = row.column("polls")?.integer,
                let at = row.column("committed_at")?.double
            else { return nil }
            var documents: [String: Data] = [:]
            for row in try await run(db, "SELECT name, json FROM documents", operation: "restore") {
                guard let name = row.column("name")?.string, let json = row.column("json")?.string else { continue }
                documents[name] = Data(json.utf8)
            }
            return StoredState(
                documents: documents, polls: Int64(polls), committedAt: Date(timeIntervalSince1970: at),
                lastSequence: lastSequence, path: path)
        }
    }

    /// Stores one poll atomically: upserts `documents` (documents not named keep their stored
    /// value) and appends `events` in order, numbered from `lastSequence + 1`. Returns them with
    /// their numbers. On any error nothing of this poll is stored.
    @discardableResult
    public func commitPoll(
        documents: [String: any Encodable & Sendable], events: [MigrationEvent], at now: Date = Date()
    ) async throws(MigrationStoreError) -> [StoredEvent] {
        // Encode first: an encoding bug must fail before a transaction is open.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // stable bytes: diffable, and no churn in the WAL
        var encoded: [(name: String, json: String)] = []
        for (name, value) in documents.sorted(by: { $0.key < $1.key }) {
            do {
                encoded.append((name, String(decoding: try encoder.encode(value), as: UTF8.self)))
            } catch {
                throw .cannotEncode(document: name, reason: "\(error)")
            }
        }
        var encodedEvents: [String] = []
        for event in events {
            // The synthesized form keeps `at` as a Double, so the event reads back exactly equal.
            do { encodedEvents.append(String(decoding: try encoder.encode(event), as: UTF8.self)) } catch {
                throw .cannotEncode(document: "event", reason: "\(error)")
            }
        }
        let op = "commit poll"
        let stored = try await transaction(op, begin: "BEGIN IMMEDIATE") { (db) async throws(MigrationStoreError) -> [StoredEvent] in
            // Read inside the transaction, not from the cache: the file is the truth.
            let last = try await run(db, "SELECT COALESCE(MAX(seq), 0) AS seq FROM events", operation: op)
                .first?.column("seq")?.integer ?? 0
            let polls = try await run(db, "SELECT polls FROM poll_commits WHERE id = 1", operation: op)
                .first?.column("polls")?.integer ?? 0
            for document in encoded {
                _ = try await run(db, """
                    INSERT INTO documents (name, json, poll) VALUES (?1, ?2, ?3)
                    ON CONFLICT (name) DO UPDATE SET json = excluded.json, poll = excluded.poll
                    """, [.text(document.name), .text(document.json), .integer(polls + 1)], operation: op)
            }
            try await failIfInjected(.afterDocuments, db)
            var stored: [StoredEvent] = []
            for (offset, event) in events.enumerated() {
                let seq = Int64(last) + Int64(offset) + 1
                _ = try await run(db, "INSERT INTO events (seq, topic, type, event) VALUES (?1, ?2, ?3, ?4)", [
                    .integer(SQLiteInt64(seq)), .text(event.topic), .text(event.type.rawValue), .text(encodedEvents[offset]),
                ], operation: op)
                stored.append(StoredEvent(seq: seq, event: event))
            }
            try await failIfInjected(.afterEvents, db)
            _ = try await run(db, """
                INSERT INTO poll_commits (id, polls, committed_at) VALUES (1, ?1, ?2)
                ON CONFLICT (id) DO UPDATE SET polls = excluded.polls, committed_at = excluded.committed_at
                """, [.integer(polls + 1), .float(now.timeIntervalSince1970)], operation: op)
            return stored
        }
        if let seq = stored.last?.seq { lastSequence = seq }
        return stored
    }

    /// Events with `seq > after`, optionally of one topic, oldest first, at most `limit`.
    public func events(after: Int64? = nil, topic: String? = nil, limit: Int) async throws(MigrationStoreError) -> [StoredEvent] {
        try await readEvents("""
            SELECT seq, event FROM events WHERE seq > ?1 AND (?2 IS NULL OR topic = ?2)
            ORDER BY seq LIMIT ?3
            """, after: after, topic: topic, limit: limit)
    }

    /// The newest `limit` events (of one topic, when given), oldest first: the status page's list.
    public func latestEvents(topic: String? = nil, limit: Int) async throws(MigrationStoreError) -> [StoredEvent] {
        try await readEvents("""
            SELECT seq, event FROM (SELECT seq, event FROM events WHERE seq > ?1 AND (?2 IS NULL OR topic = ?2)
            ORDER BY seq DESC LIMIT ?3) ORDER BY seq
            """, after: nil, topic: topic, limit: limit)
    }

    /// Stored events per type: `kafka_migration_events_total` resumes from these after a restart.
    public func eventCounts() async throws(MigrationStoreError) -> [MigrationEventType: Int64] {
        try await transaction("count events", begin: "BEGIN") { (db) async throws(MigrationStoreError) in
            var counts: [MigrationEventType: Int64] = [:]
            for row in try await run(db, "SELECT type, COUNT(*) AS n FROM events GROUP BY type", operation: "count events") {
                guard let name = row.column("type")?.string, let type = MigrationEventType(rawValue: name) else {
                    throw .corruptEvent(seq: 0, path: path, reason: "unknown event type \(row.column("type") ?? .null)")
                }
                counts[type] = Int64(row.column("n")?.integer ?? 0)
            }
            return counts
        }
    }

    /// Moves a corrupt document aside (kept in `quarantined_documents`) so the daemon can start
    /// it fresh without the next commit destroying the evidence.
    public func quarantine(document name: String, reason: String, at now: Date = Date()) async throws(MigrationStoreError) {
        try await transaction("quarantine \(name)", begin: "BEGIN IMMEDIATE") { (db) async throws(MigrationStoreError) in
            _ = try await run(db, """
                INSERT INTO quarantined_documents (name, json, reason, quarantined_at)
                SELECT name, json, ?2, ?3 FROM documents WHERE name = ?1
                """, [.text(name), .text(reason), .float(now.timeIntervalSince1970)], operation: "quarantine")
            _ = try await run(db, "DELETE FROM documents WHERE name = ?1", [.text(name)], operation: "quarantine")
        }
    }

    // MARK: - Internals

    private func readEvents(_ sql: String, after: Int64?, topic: String?, limit: Int) async throws(MigrationStoreError) -> [StoredEvent] {
        let binds: [SQLiteData] = [
            .integer(SQLiteInt64(after ?? 0)), topic.map { .text($0) } ?? .null, .integer(max(0, limit)),  // SQLite reads LIMIT -1 as "all"
        ]
        let rows = try await transaction("read events", begin: "BEGIN") { (db) async throws(MigrationStoreError) in
            try await run(db, sql, binds, operation: "read events")
        }
        var events: [StoredEvent] = []
        for row in rows {
            let seq = Int64(row.column("seq")?.integer ?? 0)
            do {
                let json = row.column("event")?.string ?? ""
                events.append(StoredEvent(seq: seq, event: try JSONDecoder().decode(MigrationEvent.self, from: Data(json.utf8))))
            } catch {
                throw .corruptEvent(seq: seq, path: path, reason: StoredState.describe(error))
            }
        }
        return events
    }

    private func failIfInjected(_ point: InjectedFault, _ db: SQLiteConnection) async throws(MigrationStoreError) {
        guard injectedFault == point else { return }
        _ = try await run(db, "INSERT INTO injected_fault_no_such_table VALUES (1)", operation: "commit poll")
    }

    /// Runs `body` inside BEGIN … COMMIT, rolling back on any error; one at a time.
    func transaction<T: Sendable>(
        _ operation: String, begin: String, _ body: (SQLiteConnection) async throws(MigrationStoreError) -> T
    ) async throws(MigrationStoreError) -> T {
        try await exclusively { () async throws(MigrationStoreError) -> T in
            guard let db = connection else { throw .closed(path: path) }
            _ = try await run(db, begin, operation: operation)
            do throws(MigrationStoreError) {
                let result = try await body(db)
                _ = try await run(db, "COMMIT", operation: operation)
                return result
            } catch {
                // A failed COMMIT can leave the transaction open; a failed statement always does.
                _ = try? await run(db, "ROLLBACK", operation: operation)
                throw error
            }
        }
    }

    private func exclusively<T: Sendable>(_ body: () async throws(MigrationStoreError) -> T) async throws(MigrationStoreError) -> T {
        if busy {
            await withCheckedContinuation { waiters.append($0) }  // handed over by release(): busy stays true
        } else {
            busy = true
        }
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }

    private func run(
        _ db: SQLiteConnection, _ sql: String, _ binds: [SQLiteData] = [], operation: String
    ) async throws(MigrationStoreError) -> [SQLiteRow] {
        try await Self.run(db, sql, binds, path: path, operation: operation)
    }

    static func run(
        _ db: SQLiteConnection, _ sql: String, _ binds: [SQLiteData] = [], path: String, operation: String
    ) async throws(MigrationStoreError) -> [SQLiteRow] {
        do { return try await db.query(sql, binds) } catch {
            throw .sqlite(path: path, operation: operation, reason: "\(error)")
        }
    }
}
