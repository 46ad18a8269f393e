// agion: the command line for an Agion deployment (docs/cli.md).
import AgionBus
import AgionContract
import AgionEnvelope
import AgionRuntime
import Foundation
import Logging

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
let natsURL = ProcessInfo.processInfo.environment["AGION_NATS_URL"] ?? "nats://127.0.0.1:14222"

do {
    var logger = Logger(label: "agion.cli")
    logger.logLevel = .critical
    // NATS with authentication (docs/security.md) wants the platform user's credentials.
    let credentials = ProcessInfo.processInfo.environment["AGION_NATS_CREDS"]
    let bus = try await Bus.connect(BusConfiguration(url: natsURL, name: "agion-cli", credentialsFile: credentials), logger: logger)
    let code = try await Commands(bus: bus, arguments: arguments).run()
    try? await bus.drain(timeout: .seconds(2))
    exit(code)
} catch let error as BusError where error.remote != nil {
    let reply = error.remote!
    FileHandle.standardError.write(Data("agion: \(reply.code): \(reply.message)\(reply.field.isEmpty ? "" : " (field \(reply.field))")\n".utf8))
    exit(1)
} catch {
    FileHandle.standardError.write(Data("agion: \(error)\n".utf8))
    exit(1)
}
