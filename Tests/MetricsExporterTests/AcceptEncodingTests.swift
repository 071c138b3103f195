/// Which `Accept-Encoding` values get a gzip answer.
import Testing
@testable import MetricsExporter

@Suite struct AcceptEncodingTests {
    @Test(arguments: [
        (["gzip"], true),
        (["identity, gzip"], true),
        (["br;q=1.0, GZip ; q=0.5"], true),
        (["deflate", "x-gzip"], true),
        (["gzip;q=0"], false),
        (["gzip;q=0.000"], false),
        (["gzip;q=oops"], false),
        (["*"], false),
        (["identity"], false),
        ([], false),
    ])
    func gzipIsChosenOnlyWhenNamedWithWeight(values: [String], expected: Bool) {
        #expect(AcceptEncoding.allowsGzip(values) == expected)
    }
}
