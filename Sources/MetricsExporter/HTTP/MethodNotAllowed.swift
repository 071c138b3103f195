/// HTTP manners for a method the exporter does not serve (issue 10): a known path asked with
/// another method answers 405 with `Allow`, so a client learns it used the wrong method rather
/// than the wrong path; an unknown path stays 404. HEAD needs nothing here: the router
/// generates it from every GET route (`.autoGenerateHeadEndpoints`).
import Hummingbird

struct MethodNotAllowed<Context: RequestContext>: RouterMiddleware {
    /// The paths the router serves with GET (and so HEAD).
    let paths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The router's own "no route" answer; a route's deliberate 404 never comes for GET/HEAD here.
            guard request.method != .get, request.method != .head, paths.contains(request.uri.path) else { throw error }
            return Response(
                status: .methodNotAllowed,
                headers: [.allow: "GET, HEAD", .contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "405 Method Not Allowed: \(request.method.rawValue) (allowed: GET, HEAD)\n")))
        }
    }
}
