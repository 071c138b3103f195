import Testing
@testable import exporterd

@Suite struct CommandLineTests {
    @Test func versionSubcommandParses() throws {
        let command = try Exporterd.parseAsRoot(["version"])
        #expect(command is VersionCommand)
    }
}
