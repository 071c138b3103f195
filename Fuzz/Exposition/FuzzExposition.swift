/// libFuzzer entry for the Prometheus/OpenMetrics text parser and the proxied-counter page
/// reader built on it: the whole page parser, the scoped parser as the agent poll runs it
/// (strict inside the counted families, tolerant outside), and a parse that succeeds must
/// give the same samples through the String and the byte entry points.
import Diagnostics
import Foundation
import LibFuzzerEntry

let names = ProxiedCounterNames()

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
    let input = UnsafeBufferPointer(start: data, count: size)
    let whole = try? ExpositionParser.parse(utf8: input)
    _ = try? ProxiedCounters.read(utf8: input, names: names)
    if let whole, let text = String(validating: input, as: UTF8.self) {
        let again = try? ExpositionParser.parse(text)
        precondition(again == whole, "the String and byte parsers disagree")
    }
    return 0
}
