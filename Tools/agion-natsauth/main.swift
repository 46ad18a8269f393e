// agion-natsauth: makes a deployment's NATS operator, accounts and
// credentials (docs/security.md).
//
//   agion-natsauth init <dir> <resolver-dir>   write them, unless <dir> has them already
//   agion-natsauth init --force <dir> <resolver-dir>   write new ones (every credential changes)
import AgionNATSAuth
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("agion-natsauth: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.first == "init" else { fail("usage: agion-natsauth init [--force] <dir> <resolver-dir>") }
arguments.removeFirst()
let force = arguments.first == "--force"
if force { arguments.removeFirst() }
guard arguments.count == 2 else { fail("usage: agion-natsauth init [--force] <dir> <resolver-dir>") }
let (directory, resolver) = (arguments[0], arguments[1])
if !force, FileManager.default.fileExists(atPath: "\(directory)/resolver.conf") {
    print("agion-natsauth: \(directory) already holds an authority (use --force to replace it)")
    exit(0)
}
do {
    try NATSBootstrap.write(to: directory, resolverDirectory: resolver)
    print("agion-natsauth: wrote the operator, accounts and credentials to \(directory)")
} catch {
    fail("\(error)")
}
