/// libFuzzer entry for the Prometheus/OpenMetrics text parser and the proxied-counter page
/// reader built on it: the whole page parser, the scoped parser as the agent poll runs it
/// (strict inside the counted families, tolerant outside), and a parse that succeeds must
/// give the same samples through the String and the byte entry points.
import Diagnostics

let names = ProxiedCounterNames()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let whole = try? ExpositionParser.parse(utf8: input)
    _ = try? ProxiedCounters.read(utf8: input, names: names)
    if let whole, let text = String(validating: input, as: UTF8.self) {
        let again = try? ExpositionParser.parse(text)
        precondition(again == whole, "the String and byte parsers disagree")
    }
    return 0
}
