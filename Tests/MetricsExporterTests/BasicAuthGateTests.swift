/// `basic_auth_users` on the router: every path but `/healthz` answers 401 with a Basic
/// challenge to missing, malformed or wrong credentials, and the right ones pass; verified
/// credentials are remembered (bounded), wrong ones never.
import Foundation
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import Testing
@testable import MetricsExporter

@Suite struct BasicAuthGateTests {
    // Cost 4: the lowest bcrypt allows, so the suite stays fast; the check is the same at any cost.
    static let users = ["prometheus": Bcrypt.hash("s3cret-scrape", cost: 4), "ops": Bcrypt.hash("other-pass", cost: 4)]

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    private func application(_ users: BasicAuthUsers) -> some ApplicationProtocol {
        Application(router: buildRouter(state: ExporterState(initial: MetricsFixtures.golden), users: users))
    }

    static let protectedPaths = ["/metrics", "/readyz", "/api/v1/status", "/api/v1/events", "/api/v1/audit", "/no-such-page"]

    @Test(arguments: protectedPaths)
    func missingOrWrongCredentialsAre401WithAChallenge(path: String) async throws {
        let headersTried: [String?] = [
            nil, Self.basic("prometheus", "wrong"), Self.basic("nobody", "s3cret-scrape"), Self.basic("ops", "s3cret-scrape"),
            "Basic !!!not-base64", "Bearer s3cret-scrape", Self.basic("prometheus", ""), "Basic " + Data("no-colon".utf8).base64EncodedString(),
        ]
        try await application(BasicAuthUsers(hashes: Self.users)).test(.router) { client in
            for header in headersTried {
                var headers: HTTPFields = [:]
                if let header { headers[.authorization] = header }
                try await client.execute(uri: path, method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized, "\(path) with \(header ?? "no header")")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic ") == true)
                    #expect(!String(buffer: response.body).contains("kafka_migration"))
                }
            }
        }
    }

    @Test func rightCredentialsPass() async throws {
        try await application(BasicAuthUsers(hashes: Self.users)).test(.router) { client in
            for (user, password) in [("prometheus", "s3cret-scrape"), ("ops", "other-pass")] {
                try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: Self.basic(user, password)]) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("kafka_migration_exporter_build_info"))
                }
            }
            try await client.execute(uri: "/api/v1/events", method: .get, headers: [.authorization: Self.basic("ops", "other-pass")]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func healthzStaysOpen() async throws {
        try await application(BasicAuthUsers(hashes: Self.users)).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [.authorization: Self.basic("prometheus", "wrong")]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func withoutUsersNothingAsksForCredentials() async throws {
        try await Application(router: buildRouter(state: ExporterState(initial: MetricsFixtures.golden))).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func onlyVerifiedCredentialsAreRememberedAndTheCacheIsBounded() async {
        let users = BasicAuthUsers(hashes: Self.users, cacheLimit: 1)
        #expect(await !users.allows(authorization: Self.basic("prometheus", "wrong")))
        #expect(users.rememberedCount == 0)
        #expect(await users.allows(authorization: Self.basic("prometheus", "s3cret-scrape")))
        #expect(users.rememberedCount == 1)
        // Remembered: still allowed, and a wrong password for the same user still is not.
        #expect(await users.allows(authorization: Self.basic("prometheus", "s3cret-scrape")))
        #expect(await !users.allows(authorization: Self.basic("prometheus", "s3cret-scrapE")))
        #expect(await users.allows(authorization: Self.basic("ops", "other-pass")))
        #expect(users.rememberedCount == 1)
        #expect(await users.allows(authorization: Self.basic("prometheus", "s3cret-scrape")))
    }

    @Test func pastTheVerificationLimitOnlyRememberedCredentialsPass() async {
        let users = BasicAuthUsers(hashes: Self.users, verificationLimit: 1)
        #expect(await users.allows(authorization: Self.basic("prometheus", "s3cret-scrape")))
        // 40 guesses at once: at most one bcrypt check runs at a time, the others are refused
        // at once, and the remembered scraper passes throughout.
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<40 { group.addTask { await users.allows(authorization: Self.basic("ops", "guess-\(index)")) } }
            group.addTask { await users.allows(authorization: Self.basic("prometheus", "s3cret-scrape")) }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        let blocked = BasicAuthUsers(hashes: Self.users, verificationLimit: 0)
        #expect(await !blocked.allows(authorization: Self.basic("ops", "other-pass")))
    }

    @Test func aPasswordWithAColonKeepsItsColon() async {
        let users = BasicAuthUsers(hashes: ["a": Bcrypt.hash("x:y", cost: 4)])
        #expect(await users.allows(authorization: Self.basic("a", "x:y")))
        #expect(await !users.allows(authorization: Self.basic("a", "x")))
    }

    /// Prints what a remembered check saves at cost 10 (the usual htpasswd cost); no assertion on time.
    @Test func rememberedChecksSkipBcrypt() async {
        let users = BasicAuthUsers(hashes: ["prometheus": Bcrypt.hash("s3cret-scrape", cost: 10)])
        let clock = ContinuousClock()
        let first = await clock.measure { _ = await users.allows(authorization: Self.basic("prometheus", "s3cret-scrape")) }
        let second = await clock.measure { _ = await users.allows(authorization: Self.basic("prometheus", "s3cret-scrape")) }
        print("basic auth at bcrypt cost 10: first check \(first), remembered check \(second)")
        #expect(users.rememberedCount == 1)
    }
}
