import Testing
@testable import Diagnostics

@Suite struct ExpositionParserTests {
    @Test func nodeExporterPage() throws {
        let page = try ExpositionParser.parse(ExpositionPages.nodeExporter)
        #expect(page.samples.count == 16)
        #expect(page.types["node_cpu_seconds_total"] == .counter)
        #expect(page.types["go_gc_duration_seconds"] == .summary)
        #expect(page.help["node_cpu_seconds_total"] == "Seconds the CPUs spent in each mode.")
        #expect(page.samples[0] == Sample(name: "go_gc_duration_seconds", labels: ["quantile": "0"], value: 2.3316e-05))
        #expect(page.samples.contains(Sample(
            name: "node_filesystem_avail_bytes",
            labels: ["device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/"], value: 4.2527227904e+10)))
        #expect(page.samples.contains(Sample(
            name: "http_request_duration_seconds_bucket", labels: ["le": "+Inf"], value: 144320)))
        let network = try #require(page.samples.first { $0.name == "node_network_info" })
        #expect(network.labels["duplex"] == "")
        #expect(network.labels.count == 6)
        #expect(page.samples.last == Sample(name: "node_time_seconds", value: 1.7320001e+09, timestamp: 1732000000000))
        #expect(!page.sawEOF)
    }

    @Test func escapedLabelValues() throws {
        let page = try ExpositionParser.parse(#"""
        msg{path="C:\\dir\\file",quote="say \"hi\"",lines="a\nb",utf8="größe ✓"} 1
        # HELP msg Help with \\ and a\nnewline.
        """#)
        #expect(page.samples == [Sample(name: "msg", labels: [
            "path": #"C:\dir\file"#, "quote": #"say "hi""#, "lines": "a\nb", "utf8": "größe ✓",
        ], value: 1)])
        #expect(page.help["msg"] == "Help with \\ and a\nnewline.")
    }

    @Test func blanksAndTrailingCommaAndEmptyBraces() throws {
        let page = try ExpositionParser.parse("  a { x = \"1\" , y=\"2\", }\t3  \nb{} 4\n\tc 5 -17\n")
        #expect(page.samples == [
            Sample(name: "a", labels: ["x": "1", "y": "2"], value: 3),
            Sample(name: "b", value: 4),
            Sample(name: "c", value: 5, timestamp: -17),
        ])
    }

    @Test func specialValues() throws {
        let page = try ExpositionParser.parse("""
        a NaN
        b +Inf
        c -Inf
        d 1.5e3
        e -2E-2
        f Inf
        g 0x10
        h .5
        """)
        let values = page.samples.map(\.value)
        #expect(values[0].isNaN)
        #expect(Array(values.dropFirst()) == [.infinity, -.infinity, 1500, -0.02, .infinity, 16, 0.5])
    }

    @Test func openMetricsPage() throws {
        let page = try ExpositionParser.parse(ExpositionPages.openMetricsAgent)
        #expect(page.sawEOF)
        #expect(page.types["kafka_proxy_produced_records"] == .counter)
        // `_created` is dropped, the exemplar skipped.
        #expect(!page.samples.contains { $0.name.hasSuffix("_created") })
        #expect(page.samples.count == 7)
        #expect(page.samples[0] == Sample(
            name: "kafka_proxy_produced_records_total", labels: ["topic": "orders.v2", "partition": "0"], value: 120))
    }

    @Test func createdWithItsOwnTypeIsKept() throws {
        let page = try ExpositionParser.parse("""
        # TYPE x counter
        # TYPE x_created gauge
        x_total 1
        x_created 17
        """)
        #expect(page.samples.map(\.name) == ["x_total", "x_created"])
    }

    @Test func exemplarAfterTimestamp() throws {
        let page = try ExpositionParser.parse(#"a_total 3 1732000000.25 # {id="x"} 1"# + "\n# EOF\n\n")
        #expect(page.samples == [Sample(name: "a_total", value: 3, timestamp: 1732000000.25)])
    }

    @Test(arguments: [
        ("ok 1\n9bad 1", ExpositionError.invalidMetricName(line: 2)),
        ("foo-bar 1", .invalidMetricName(line: 1)),
        ("a 1\n\nfoo{1x=\"a\"} 1", .invalidLabelName(line: 3)),
        ("foo{a\"b\"} 1", .expectedEqualsSign(line: 1)),
        ("foo{a=b} 1", .expectedQuote(line: 1)),
        ("foo{a=\"b} 1", .unterminatedLabelValue(line: 1)),
        (#"foo{a="\t"} 1"#, .invalidEscape(line: 1)),
        ("foo{a=\"b\" c=\"d\"} 1", .expectedCommaOrBrace(line: 1)),
        ("foo{a=\"b\"", .expectedCommaOrBrace(line: 1)),
        ("foo{a=\"b\",a=\"c\"} 1", .duplicateLabel(line: 1, name: "a")),
        ("foo", .missingValue(line: 1)),
        ("foo{a=\"b\"}   ", .missingValue(line: 1)),
        ("x 1\nfoo one", .invalidValue(line: 2, text: "one")),
        ("foo 1,5", .invalidValue(line: 1, text: "1,5")),
        ("foo 1 noon", .invalidTimestamp(line: 1, text: "noon")),
        ("foo 1 2 3", .unexpectedText(line: 1, text: "3")),
        ("# TYPE foo countr", .invalidType(line: 1, text: "countr")),
        ("# TYPE foo", .invalidMetricName(line: 1)),
        ("# TYPE foo counter extra", .invalidType(line: 1, text: "counter")),
        ("# TYPE foo gauge\n# TYPE foo counter", .duplicateType(line: 2, name: "foo")),
        (#"# HELP foo bad \q escape"#, .invalidEscape(line: 1)),
        ("a 1\n# EOF\nb 2", .contentAfterEOF(line: 3)),
    ])
    func garbage(text: String, expected: ExpositionError) {
        #expect(throws: expected) { try ExpositionParser.parse(text) }
    }

    @Test func errorNamesLineAndProblem() {
        #expect(ExpositionError.invalidValue(line: 4, text: "x").description == "line 4: invalid value \"x\"")
        #expect(ExpositionError.duplicateLabel(line: 9, name: "a").line == 9)
    }

    /// A 5 MB page parses in linear time; quadratic work would take minutes here.
    @Test func largePage() throws {
        var text = "# TYPE kafka_proxy_produced_records_total counter\n"
        for index in 0..<50_000 {
            text += #"kafka_proxy_produced_records_total{topic="topic-\#(index % 500)",partition="7",client="producer-client-0042"} 123456789"#
            text += "\n"
        }
        #expect(text.utf8.count > 5_000_000)
        let clock = ContinuousClock()
        var page = Exposition()
        let elapsed = try clock.measure { page = try ExpositionParser.parse(Array(text.utf8)) }
        #expect(page.samples.count == 50_000)
        #expect(elapsed < .seconds(20), "took \(elapsed)")
    }
}
