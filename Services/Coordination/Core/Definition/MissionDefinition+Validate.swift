import AgionJSON

extension MissionDefinition {
    /// Checks everything a stored mission must satisfy: ids unique and well
    /// formed, dependencies that exist and form no cycle, references that
    /// resolve (input paths in this input; step outputs only of steps this
    /// step depends on, directly or not), and every size within
    /// `DefinitionLimits`. The error names the first field at fault.
    public func validate() throws(DefinitionError) {
        guard !steps.isEmpty else { throw DefinitionError(field: "steps", reason: "a mission has at least one step") }
        guard steps.count <= DefinitionLimits.steps else {
            throw DefinitionError(field: "steps", reason: "at most \(DefinitionLimits.steps) steps, not \(steps.count)")
        }
        guard input.serialized.count <= DefinitionLimits.inputBytes else {
            throw DefinitionError(field: "input", reason: "at most \(DefinitionLimits.inputBytes) bytes of JSON")
        }
        var index: [String: Int] = [:]
        for (position, step) in steps.enumerated() {
            let field = "steps[\(position)]"
            guard Self.isStepID(step.id) else {
                throw DefinitionError(field: field + ".id", reason: "'\(step.id.prefix(80))' is not 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit")
            }
            guard index.updateValue(position, forKey: step.id) == nil else {
                throw DefinitionError(field: field + ".id", reason: "'\(step.id)' is the id of another step")
            }
        }
        for (position, step) in steps.enumerated() { try validateShape(step, field: "steps[\(position)]", index: index) }
        let order = try topologicalOrder(index: index)
        let ancestors = ancestorSets(order: order, index: index)
        for (position, step) in steps.enumerated() {
            let field = "steps[\(position)]"
            for (reference, at) in try InputTemplate.references(in: step.input, field: field + ".input") {
                switch reference {
                case .input(let path):
                    guard InputTemplate.value(at: path, in: input) != nil else {
                        throw DefinitionError(field: at + ".$ref", reason: "\(reference) is not in the mission's input")
                    }
                case .stepOutput(let other, _):
                    guard index[other] != nil else { throw DefinitionError(field: at + ".$ref", reason: "there is no step '\(other)'") }
                    guard ancestors[step.id]!.contains(other) else {
                        throw DefinitionError(field: at + ".$ref", reason: "step '\(other)' is not among the steps '\(step.id)' depends on, so its output may not exist yet")
                    }
                }
            }
        }
    }

    /// Step ids: lower-case letters, digits, `_` and `-`, 1 to 63 characters,
    /// starting with a letter or digit (they appear in subjects and URLs).
    public static func isStepID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...DefinitionLimits.stepIDBytes).contains(bytes.count) else { return false }
        func allowed(_ b: UInt8, first: Bool) -> Bool {
            (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || (!first && (b == 95 || b == 45))
        }
        return bytes.enumerated().allSatisfy { allowed($1, first: $0 == 0) }
    }

    private func validateShape(_ step: StepDefinition, field: String, index: [String: Int]) throws(DefinitionError) {
        guard step.input.serialized.count <= DefinitionLimits.templateBytes else {
            throw DefinitionError(field: field + ".input", reason: "at most \(DefinitionLimits.templateBytes) bytes of JSON")
        }
        guard step.dependsOn.count <= DefinitionLimits.dependencies else {
            throw DefinitionError(field: field + ".depends_on", reason: "at most \(DefinitionLimits.dependencies) dependencies")
        }
        var seen = Set<String>()
        for (position, dependency) in step.dependsOn.enumerated() {
            let at = "\(field).depends_on[\(position)]"
            guard dependency != step.id else { throw DefinitionError(field: at, reason: "a step cannot depend on itself") }
            guard index[dependency] != nil else { throw DefinitionError(field: at, reason: "there is no step '\(dependency.prefix(80))'") }
            guard seen.insert(dependency).inserted else { throw DefinitionError(field: at, reason: "'\(dependency)' is listed twice") }
        }
        guard DefinitionLimits.timeoutSeconds.contains(step.timeoutSeconds) else {
            throw DefinitionError(field: field + ".timeout_seconds", reason: "must be from 1 to \(DefinitionLimits.timeoutSeconds.upperBound)")
        }
        guard DefinitionLimits.attempts.contains(step.retry.maxAttempts) else {
            throw DefinitionError(field: field + ".retry.max_attempts", reason: "must be from 1 to \(DefinitionLimits.attempts.upperBound)")
        }
    }

    /// Step ids in an order where each comes after its dependencies (Kahn's
    /// algorithm). A cycle is reported at a dependency edge that closes it.
    func topologicalOrder(index: [String: Int]) throws(DefinitionError) -> [String] {
        var remaining = steps.map { Set($0.dependsOn) }
        var dependents: [String: [Int]] = [:]
        for (position, step) in steps.enumerated() { for dependency in step.dependsOn { dependents[dependency, default: []].append(position) } }
        var ready = steps.indices.filter { remaining[$0].isEmpty }
        var order: [String] = []
        while let position = ready.popLast() {
            let id = steps[position].id
            order.append(id)
            for dependent in dependents[id] ?? [] {
                remaining[dependent].remove(id)
                if remaining[dependent].isEmpty { ready.append(dependent) }
            }
        }
        guard order.count < steps.count else { return order }
        // Every step left waits on another one left: some of them form a cycle.
        let stuck = steps.indices.first { !remaining[$0].isEmpty }!
        let dependency = steps[stuck].dependsOn.firstIndex { remaining[stuck].contains($0) }!
        throw DefinitionError(field: "steps[\(stuck)].depends_on[\(dependency)]",
                              reason: "'\(steps[stuck].id)' and '\(steps[stuck].dependsOn[dependency])' depend on each other through a cycle")
    }

    /// For each step, every step it depends on directly or not.
    func ancestorSets(order: [String], index: [String: Int]) -> [String: Set<String>] {
        var ancestors: [String: Set<String>] = [:]
        for id in order {
            var all = Set<String>()
            for dependency in steps[index[id]!].dependsOn { all.insert(dependency); all.formUnion(ancestors[dependency] ?? []) }
            ancestors[id] = all
        }
        return ancestors
    }
}
