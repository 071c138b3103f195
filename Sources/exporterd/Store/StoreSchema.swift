/// The store's schema as an ordered list of migrations. Version N is reached by running
/// migrations 1…N in order, each in its own transaction together with the bump of
/// `schema_version`, so a crash during an upgrade leaves the file at the previous version.
/// Never edit a shipped migration: append a new one.
enum StoreSchema {
    static let migrations: [[String]] = [
        // 1: documents of the last committed poll, the event log, and the poll counter.
        [
            """
            CREATE TABLE documents (
                name TEXT PRIMARY KEY NOT NULL,
                json TEXT NOT NULL,
                poll INTEGER NOT NULL          -- the poll that last wrote it
            )
            """,
            // seq is the rowid: assigned explicitly as MAX(seq)+1 inside the poll's transaction.
            """
            CREATE TABLE events (
                seq INTEGER PRIMARY KEY NOT NULL,
                topic TEXT NOT NULL,
                type TEXT NOT NULL,
                event TEXT NOT NULL            -- MigrationEvent as JSON
            )
            """,
            "CREATE INDEX events_by_topic ON events (topic, seq)",
            "CREATE INDEX events_by_type ON events (type)",
            // A single row (id = 1): how many polls were committed, and when the last one was.
            """
            CREATE TABLE poll_commits (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                polls INTEGER NOT NULL,
                committed_at REAL NOT NULL     -- seconds since 1970
            )
            """,
            // Corrupt documents moved aside rather than overwritten, for a post-mortem.
            """
            CREATE TABLE quarantined_documents (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                json TEXT NOT NULL,
                reason TEXT NOT NULL,
                quarantined_at REAL NOT NULL
            )
            """,
        ],
    ]

    static var currentVersion: Int { migrations.count }
}
