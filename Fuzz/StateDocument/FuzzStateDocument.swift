/// libFuzzer entry for the migration state document: `MigrationStateDocument(json:)` as
/// Diagnostics reads it, and `MigrationStateSource.parse` as the daemon reads a fetched or
/// local document (JSON when it starts like JSON, otherwise YAML through YAMLInput). Error
/// descriptions are rendered too: they reach logs and /status with the document's text in them.
import Diagnostics
import Foundation
@testable import ExporterdSources
import LibFuzzerEntry

@main
enum Entry {
    static func main() {
        exit(libfuzzer_run(CommandLine.argc, CommandLine.unsafeArgv, testOneInput))
    }
}

/// One input; libFuzzer reports a crash, a sanitizer finding or a failed precondition.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    do {
        _ = try MigrationStateDocument(json: bytes)
    } catch {
        _ = error.description
    }
    do {
        _ = try MigrationStateSource.parse(bytes)
    } catch {
        _ = error.reason
    }
    return 0
}
