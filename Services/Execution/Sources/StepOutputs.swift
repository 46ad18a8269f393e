import AgionContract
import AgionJSON
import AgionRuntime
import MissionsCore

/// Values too large for events, on their way into and out of agents. An
/// output whose JSON is over the inline limit is stored once in the output
/// store and the attempt reports its reference (`OutputReference`), so the
/// mission's events, projection and work messages stay small; a step input
/// holding references gets the stored values back before its agent is
/// invoked (an agent never sees a reference).
struct StepOutputs: Sendable {
    let store: OutputStore
    /// Outputs whose compact JSON is longer than this are stored.
    let inlineBytes: Int

    /// `input` with every reference replaced by the value it stands for.
    func resolve(_ input: JSONValue, tenant: String, mission: String) async -> Outcome<JSONValue> {
        guard OutputReference.occurs(in: input) else { return .ready(input) }
        var documents: [String: JSONValue] = [:]  // each stored output read once, however often it is named
        do {
            return .ready(try await OutputReference.replacing(in: input) { reference in
                let document: JSONValue
                if let read = documents[reference.digest] {
                    document = read
                } else {
                    document = try JSONValue.parse(try await store.read(OutputReference(digest: reference.digest, size: reference.size),
                                                                        tenant: tenant, mission: mission))
                    documents[reference.digest] = document
                }
                guard let value = InputTemplate.value(at: reference.path, in: document) else { throw MissingPath(reference: reference) }
                return value
            })
        } catch let error as OutputStoreError {
            return .failed(StepError(code: "input_unavailable", message: "the step's input names \(error)", retriable: false))
        } catch let error as MissingPath {
            return .failed(StepError(code: "input_unavailable", message: "the stored output \(error.reference.digest) has no \(error.reference.path.joined(separator: "."))",
                                      retriable: false))
        } catch is JSONParseError {
            return .failed(StepError(code: "input_unavailable", message: "a stored output named by the input is not JSON", retriable: false))
        } catch {
            return .failed(StepRunner.platformFailure("outputs_unavailable", "the step's stored inputs could not be read: \(error)"))
        }
    }

    /// The output as the attempt reports it: itself when small, else stored
    /// and its reference. An agent's own `{"$output": ...}` is refused (that
    /// shape means "stored output" to every reader).
    func keep(_ output: JSONValue, tenant: String, mission: String) async -> Outcome<(value: JSONValue, stored: OutputReference?)> {
        guard !OutputReference.occurs(in: output) else {
            return .failed(StepError(code: "invalid_output", message: "an output may not hold {\"$output\": ...} objects: they stand for stored outputs",
                                      retriable: false))
        }
        let bytes = output.serialized
        guard bytes.count > inlineBytes else { return .ready((output, nil)) }
        do {
            let reference = try await store.put(bytes, tenant: tenant, mission: mission)
            return .ready((reference.json, reference))
        } catch {
            return .failed(StepRunner.platformFailure("outputs_unavailable", "the output could not be stored: \(error)"))
        }
    }

    /// A value, or why the attempt fails (StepError is not an Error).
    enum Outcome<Value> {
        case ready(Value)
        case failed(StepError)
    }

    private struct MissingPath: Error { let reference: OutputReference }
}
