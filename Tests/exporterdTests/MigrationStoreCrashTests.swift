/// A real `kill -9` in the middle of committing polls: a child process (this test binary run
/// again, in writer mode) commits polls as fast as it can; the parent SIGKILLs it at a random
/// moment, reopens the store and checks that it holds exactly some committed poll's state:
/// no committed poll lost, nothing of a half-written one, sequence numbers 1…N without a gap or
/// a duplicate. Ten rounds (a non-atomic commit is caught in most runs), each resuming from what the previous kill left.
import Diagnostics
import Foundation
import Logging
import Testing
@testable import exporterd

/// What the writer child does, shared with the parent so it can recompute the expected state.
enum CrashWriter {
    /// Set only in the child's environment: the data_dir to write to.
    static let directoryVariable = "EXPORTERD_STORE_CRASH_WRITER_DIR"
    /// The child appends each poll number here once `commitPoll` returned (plain write(2), so
    /// it survives the kill).
    static let committedLogName = "committed.log"

    struct Progress: Codable, Equatable {
        var poll: Int64
        var events: Int64
    }

    /// Poll p appends 1 to 3 events; details name the poll and position, so any duplicate,
    /// gap or reordering shows.
    static func events(forPoll poll: Int64) -> [MigrationEvent] {
        (0..<(1 + poll % 3)).map { index in
            MigrationEvent(
                topic: "topic-\(poll % 4)", type: index == 0 ? .enabled : .unproxiedWritesDetected,
                from: index == 0 ? .reject : nil, to: index == 0 ? .proxy : nil,
                at: Date(timeIntervalSince1970: 1_795_514_700 + Double(poll)),
                details: ["poll": .integer(poll), "index": .integer(index)])
        }
    }

    /// A document whose size changes with the poll, so commits span several pages.
    static func padding(forPoll poll: Int64) -> String {
        String(repeating: "p", count: 1000 + Int(poll % 7) * 3000)
    }
}

@Suite struct MigrationStoreCrashTests {
    /// The child's body. In a normal test run the variable is unset and this returns at once.
    @Test func crashWriterChild() async throws {
        guard let directory = ProcessInfo.processInfo.environment[CrashWriter.directoryVariable] else { return }
        let store = try await MigrationStore.open(dataDirectory: directory, logger: Logger(label: "crash-writer"))
        let logPath = directory + "/" + CrashWriter.committedLogName
        if !FileManager.default.fileExists(atPath: logPath) {  // a later round appends to the same log
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try #require(FileHandle(forWritingAtPath: logPath))
        var progress = try await store.restore()?.document(CrashWriter.Progress.self, named: "progress")
            ?? CrashWriter.Progress(poll: 0, events: 0)
        while true {  // ends by SIGKILL only
            let poll = progress.poll + 1
            let events = CrashWriter.events(forPoll: poll)
            let next = CrashWriter.Progress(poll: poll, events: progress.events + Int64(events.count))
            try await store.commitPoll(
                documents: ["progress": next, "padding": CrashWriter.padding(forPoll: poll)], events: events)
            log.seekToEndOfFile()
            log.write(Data("\(poll)\n".utf8))
            progress = next
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func killDuringCommitsKeepsExactlyACommittedPoll() async throws {
        guard ProcessInfo.processInfo.environment[CrashWriter.directoryVariable] == nil else { return }
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var reportedBefore = 0

        for _ in 1...10 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = ["--testing-library", "swift-testing", "--filter", "crashWriterChild"]
            child.environment = ProcessInfo.processInfo.environment.merging([CrashWriter.directoryVariable: dir.path]) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()

            // Let it commit a random number of polls, then kill it at a random moment.
            let target = reportedBefore + Int.random(in: 3...30)
            let deadline = Date().addingTimeInterval(120)
            while committedPolls(dir).count < target, child.isRunning, Date() < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            try await Task.sleep(for: .microseconds(Int.random(in: 0...5_000)))
            let wasRunning = child.isRunning
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            try #require(wasRunning, "writer exited by itself (status \(child.terminationStatus))")
            #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)
            let reported = committedPolls(dir)
            try #require(reported.count >= target, "writer too slow: \(reported.count) polls")
            // A poll committed but killed before it was logged leaves a hole in the log (the next
            // round resumes after it), never in the store.
            #expect(zip(reported, reported.dropFirst()).allSatisfy { $0 < $1 })

            try await verifyExactlyOneCommittedPoll(dir, lastReported: reported.last ?? 0)
            reportedBefore = reported.count
        }
    }

    /// The store must hold poll k's state for k = the last reported commit, or the one after it
    /// (committed, killed before it could report), and events of polls 1…k only.
    private func verifyExactlyOneCommittedPoll(_ dir: TemporaryDataDirectory, lastReported: Int64) async throws {
        let store = try await MigrationStore.open(dataDirectory: dir.path, logger: Logger(label: "crash-check"))
        do {
            let state = try #require(try await store.restore())
            let progress = try #require(try state.document(CrashWriter.Progress.self, named: "progress"))
            #expect(progress.poll == lastReported || progress.poll == lastReported + 1,
                    "store at poll \(progress.poll), writer reported \(lastReported)")
            #expect(state.polls == progress.poll)
            #expect(try state.document(String.self, named: "padding") == CrashWriter.padding(forPoll: progress.poll))

            let expected = (1...max(1, progress.poll)).flatMap { CrashWriter.events(forPoll: $0) }
            let stored = try await store.events(limit: 1_000_000)
            #expect(stored.map(\.seq) == Array(1...Int64(expected.count)))
            #expect(stored.map(\.event) == expected)
            #expect(Int64(stored.count) == progress.events)
            #expect(state.lastSequence == progress.events)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    private func committedPolls(_ dir: TemporaryDataDirectory) -> [Int64] {
        let text = (try? String(contentsOfFile: dir.path + "/" + CrashWriter.committedLogName, encoding: .utf8)) ?? ""
        // A line cut by the kill has no newline yet: ignore it.
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().compactMap { Int64($0) }
    }
}
