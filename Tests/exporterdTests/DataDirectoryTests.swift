/// Creating data_dir: reasons worded for people, never Foundation's "NSCocoaErrorDomain error 512".
import Foundation
import Testing
@testable import exporterd

@Suite struct DataDirectoryTests {
    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-dd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func missingParentsAreCreated() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let nested = root.appendingPathComponent("a/b/c").path
        try MigrationStore.createDataDirectory(nested)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: nested, isDirectory: &isDirectory) && isDirectory.boolValue)
        try MigrationStore.createDataDirectory(nested)  // already there: fine
    }

    @Test func aFileInThePathIsNamed() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("file")
        FileManager.default.createFile(atPath: file.path, contents: Data())
        let dataDirectory = file.appendingPathComponent("data").path
        #expect(throws: MigrationStoreError.cannotCreateDirectory(path: dataDirectory, reason: "\(file.path) is not a directory")) {
            try MigrationStore.createDataDirectory(dataDirectory)
        }
        do {
            _ = try await MigrationStore.open(dataDirectory: dataDirectory)
            Issue.record("opened")
        } catch {
            #expect(error.description == "cannot create data directory \(dataDirectory): \(file.path) is not a directory")
        }
    }
}
