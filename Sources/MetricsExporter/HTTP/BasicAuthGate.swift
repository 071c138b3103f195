/// The middleware that puts every endpoint but `/healthz` behind `basic_auth_users`
/// (CONTRACT §2 `web_config_file`). A liveness probe needs no secret, and `/healthz` tells
/// nothing about the migration.
import Hummingbird

public struct BasicAuthGate<Context: RequestContext>: RouterMiddleware {
    let users: BasicAuthUsers
    /// Paths served without credentials.
    let openPaths: Set<String>

    public init(users: BasicAuthUsers, openPaths: Set<String> = ["/healthz"]) {
        self.users = users
        self.openPaths = openPaths
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard await users.allows(authorization: request.headers[.authorization]) else {
            return Response(
                status: .unauthorized,
                headers: [.wwwAuthenticate: "Basic realm=\"exporterd\", charset=\"UTF-8\"",
                          .contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "401 Unauthorized\n")))
        }
        return try await next(request, context)
    }
}
