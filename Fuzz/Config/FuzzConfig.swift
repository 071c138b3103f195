/// libFuzzer entry for config loading without the file system: the input is the text of
/// exporterd.yaml for `ConfigLoader.parse` (YAMLInput, ConfigNode, every section) followed
/// by the cross-field `validate`, and the text of an Orbit config for
/// `OrbitConfigImport.parse`. The web config is left out: its parser opens the certificate
/// files it names, and fuzzed paths would reach devices and FIFOs.
import Foundation
@testable import ExporterdSources
import LibFuzzerEntry

let base = URL(fileURLWithPath: "/nonexistent/exporterd")
/// Every env var a config may name resolves, so validate runs past the env checks too.
let environment = ["SASL_USER": "u", "SASL_PASSWORD": "p", "STATE_TOKEN": "t", "AGENT_TOKEN": "a"]

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
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else {
        return 0  // ConfigLoader.read refuses non-UTF-8 before parsing
    }
    do {
        let config = try ConfigLoader.parse(yaml: text, file: "fuzz.yaml", baseDirectory: base)
        try ConfigLoader.validate(config, environment: environment)
    } catch {
        _ = error.description
    }
    do {
        _ = try OrbitConfigImport.parse(yaml: text, file: "orbit.yaml")
    } catch {
        _ = error.description
    }
    return 0
}
