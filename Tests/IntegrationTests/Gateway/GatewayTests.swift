import AgionContract
import AgionJSON
import AgionRuntime
import Crypto
import AgionGateway
import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// The public API end to end: the gateway's router in-process, the registry
/// and governance clusters behind it over real NATS, PostgreSQL and Redis.
@Suite(.serialized, .timeLimit(.minutes(3)), .needsGovernance) struct GatewayTests {
    static let policy = """
        version: 1
        rules:
          - id: reports
            effect: allow
            agents: ["langgraph-v2:*"]
            actions: [reports.generate]
        """

    /// A new tenant with an admin key, made by the platform admin.
    func tenant() async throws -> (name: String, admin: String) {
        let name = TestEnvironment.uniqueName("gw")
        let created = try await gateway(.post, "/v1/tenants", key: try await GatewayHarness.shared.adminKey(), json: ["tenant": .string(name)])
        #expect(created.status == .created, "\(created.text)")
        return (name, try #require(created.json?["admin_key"]?["key"]?.stringValue))
    }

    func key(_ role: String, scope: String? = nil, admin: String) async throws -> String {
        var body: [String: JSONValue] = ["name": .string(role + " key"), "role": .string(role)]
        if let scope { body["agent_scope"] = .string(scope) }
        let created = try await gateway(.post, "/v1/api-keys", key: admin, json: .object(body))
        #expect(created.status == .created, "\(created.text)")
        return try #require(created.json?["key"]?.stringValue)
    }

    static func registration(_ name: String) -> JSONValue {
        ["container": "langgraph-v2", "agents": [[
            "id": .string("langgraph-v2:\(name)"), "type": "llm", "capabilities": ["reports"], "version": "1",
            "endpoint": ["kind": "http", "address": "http://langgraph-v2:8080"],
        ]]]
    }

    @Test func theBootstrapKeyIsWrittenForTheOwnerOnly() async throws {
        let key = try await GatewayHarness.shared.adminKey()
        #expect(key.hasPrefix("agion_"))
        let attributes = try FileManager.default.attributesOfItem(atPath: GatewayHarness.keyFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let tenants = try await gateway(.get, "/v1/tenants", key: key)
        #expect(tenants.status == .ok)
    }

    @Test func anOperatorChosenBootstrapKeyIsInstalledAndWrittenNowhere() async throws {
        let chosen = APIKey.generate()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("agion-it-given-\(UUID().uuidString)/admin.key").path
        let (router, replica) = try await GatewayHarness.fresh(schema: "it_gateway_given_key") {
            $0.bootstrapKey = chosen
            $0.bootstrapKeyFile = file
        }
        let tenants = try await gateway(.get, "/v1/tenants", key: chosen.description, via: router)
        #expect(tenants.status == .ok, "\(tenants.text)")
        let other = try await gateway(.get, "/v1/tenants", key: APIKey.generate().description, via: router)
        #expect(other.status == .unauthorized)
        #expect(!FileManager.default.fileExists(atPath: file))
        await replica.stop()
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration(environment: ["AGION_GATEWAY_BOOTSTRAP_KEY": "agion_not-a-key"])
        }
        let parsed = try GatewayConfiguration(environment: ["AGION_GATEWAY_BOOTSTRAP_KEY": chosen.description + "\n"])
        #expect(parsed.bootstrapKey == chosen)
    }

    @Test func aNewTenantRegistersAnAgentAppliesAPolicyAndGetsADecision() async throws {
        let (_, admin) = try await tenant()
        let operatorKey = try await key("operator", admin: admin)
        let policy = try await gateway(.post, "/v1/policies?comment=first", key: operatorKey, raw: Self.policy, contentType: "application/yaml")
        #expect(policy.status == .created, "\(policy.text)")
        #expect(policy.json?["revision"] == 1 && policy.json?["active"] == true)

        let registered = try await gateway(.post, "/v1/agents", key: operatorKey, json: Self.registration("charts"))
        #expect(registered.status == .ok, "\(registered.text)")
        #expect(registered.json?["agents"]?.arrayValue?.first?["id"] == "langgraph-v2:charts")

        let check: JSONValue = ["agent_id": "langgraph-v2:charts", "action": "reports.generate", "context": ["rows": 10, "region": "eu"],
                                "principal": "user:alice"]
        try await eventually("governance allows the registered agent") {
            let decision = try await gateway(.post, "/v1/governance/check", key: operatorKey, json: check)
            return decision.status == .ok && decision.json?["effect"] == "allow"
        }
        let decision = try await gateway(.post, "/v1/governance/check", key: operatorKey, json: check)
        #expect(decision.json?["rule_ids"] == ["reports"])
        #expect(decision.json?["decision_id"]?.stringValue?.isEmpty == false)
        #expect(decision.headers[HTTPField.Name("X-Request-Id")!] != nil)

        let agent = try await gateway(.get, "/v1/agents/langgraph-v2:charts", key: operatorKey)
        #expect(agent.status == .ok && agent.json?["status"] == "healthy")
        // Clients may percent-encode the path; a malformed escape is a 400 naming the parameter.
        #expect(try await gateway(.get, "/v1/agents/langgraph-v2%3Acharts", key: operatorKey).json?["agent"]?["id"] == "langgraph-v2:charts")
        let malformed = try await gateway(.get, "/v1/agents/langgraph-v2%3", key: operatorKey)
        #expect(malformed.status == .badRequest && malformed.field == "agent_id", "\(malformed.text)")
        let rated = try await gateway(.post, "/v1/feedback", key: operatorKey,
                                      json: ["agent_id": "langgraph-v2:charts", "rating": 5, "source": "user:alice"])
        #expect(rated.status == .ok, "\(rated.text)")
        let trust = try await gateway(.get, "/v1/agents/langgraph-v2:charts/trust?page_size=10", key: operatorKey)
        #expect(trust.status == .ok, "\(trust.text)")
        let current = try #require(trust.json?["current"]?["score"]?.doubleValue), given = try #require(rated.json?["score"]?.doubleValue)
        #expect(abs(current - given) < 1e-3, "the score the feedback produced, barely decayed")
        #expect(trust.json?["history"]?.arrayValue?.map { $0["cause"] } == ["feedback"])
        let decisions = try await gateway(.get, "/v1/decisions?agent_id=langgraph-v2:charts&page_size=10", key: operatorKey)
        #expect(decisions.status == .ok, "\(decisions.text)")
        let verified = try await gateway(.post, "/v1/decisions/verify", key: operatorKey)
        #expect(verified.status == .ok && verified.json?["intact"] == true, "\(verified.text)")
    }

    @Test func rolesAreEnforcedPerRoute() async throws {
        let (_, admin) = try await tenant()
        let viewer = try await key("viewer", admin: admin)
        let agentKey = try await key("agent", scope: "langgraph-v2:writer", admin: admin)
        #expect(try await gateway(.get, "/v1/agents", key: viewer).status == .ok)
        let viewerCheck = try await gateway(.post, "/v1/governance/check", key: viewer, json: ["agent_id": "langgraph-v2:writer", "action": "a"])
        #expect(viewerCheck.status == .forbidden && viewerCheck.problemType == "https://agion.dev/problems/forbidden")
        #expect(try await gateway(.post, "/v1/api-keys", key: viewer, json: ["name": "x", "role": "admin"]).status == .forbidden)
        #expect(try await gateway(.post, "/v1/tenants", key: admin, json: ["tenant": "nope"]).status == .forbidden)

        // An agent key acts for its own agent only.
        let own = try await gateway(.post, "/v1/governance/check", key: agentKey, json: ["agent_id": "langgraph-v2:writer", "action": "a"])
        #expect(own.status == .ok || own.status == .notFound, "\(own.text)")  // allowed through; governance may not know the tenant yet
        let other = try await gateway(.post, "/v1/governance/check", key: agentKey, json: ["agent_id": "langgraph-v2:charts", "action": "a"])
        #expect(other.status == .forbidden && other.field == "agent_id")
        let otherContainer = try await gateway(.post, "/v1/agents", key: agentKey, json: ["container": "crewai", "agents": []])
        #expect(otherContainer.status == .forbidden && otherContainer.field == "container")
        #expect(try await gateway(.get, "/v1/agents", key: agentKey).status == .forbidden)
    }

    @Test func anAgentKeyRegistersOnlyTheAgentsItsScopeNames() async throws {
        let (_, admin) = try await tenant()
        func registration(_ ids: [String], endpoint: String = "http://cc:8080") -> JSONValue {
            .object(["container": "cc", "agents": .array(ids.map { id in
                ["id": .string(id), "type": "llm", "capabilities": ["writing"], "version": "1",
                 "endpoint": ["kind": "http", "address": .string(endpoint)]]
            })])
        }
        #expect(try await gateway(.post, "/v1/agents", key: admin, json: registration(["cc:writer", "cc:reader"])).status == .ok)
        let writerKey = try await key("agent", scope: "cc:writer", admin: admin)
        // Its own agent: yes. Its neighbour, with a new endpoint: no. A new agent of the container: no.
        #expect(try await gateway(.post, "/v1/agents", key: writerKey, json: registration(["cc:writer"])).status == .ok)
        let hijack = try await gateway(.post, "/v1/agents", key: writerKey, json: registration(["cc:reader"], endpoint: "http://127.0.0.1:6666/evil"))
        #expect(hijack.status == .forbidden && hijack.field == "agents[0].id", "\(hijack.text)")
        let newbie = try await gateway(.post, "/v1/agents", key: writerKey, json: registration(["cc:writer", "cc:newbie"]))
        #expect(newbie.status == .forbidden && newbie.field == "agents[1].id", "\(newbie.text)")
        let reader = try await gateway(.get, "/v1/agents/cc:reader", key: admin)
        #expect(reader.text.contains("http://cc:8080") && !reader.text.contains("6666"), "\(reader.text)")
        let unknown = try await gateway(.get, "/v1/agents/cc:newbie", key: admin)
        #expect(unknown.status == .notFound)
        // A container-wide scope registers any agent of its container.
        let containerKey = try await key("agent", scope: "cc:*", admin: admin)
        #expect(try await gateway(.post, "/v1/agents", key: containerKey, json: registration(["cc:writer", "cc:newbie"])).status == .ok)
    }

    @Test func oneTenantNeverSeesAnothers() async throws {
        let (_, adminA) = try await tenant()
        let (_, adminB) = try await tenant()
        #expect(try await gateway(.post, "/v1/agents", key: adminA, json: Self.registration("private")).status == .ok)
        #expect(try await gateway(.post, "/v1/policies", key: adminA, raw: Self.policy, contentType: "application/yaml").status == .created)
        #expect(try await gateway(.get, "/v1/agents/langgraph-v2:private", key: adminA).status == .ok)
        #expect(try await gateway(.get, "/v1/agents/langgraph-v2:private", key: adminB).status == .notFound)
        let feedback: JSONValue = ["agent_id": "langgraph-v2:private", "rating": 1, "source": "user:a"]
        #expect(try await gateway(.post, "/v1/feedback", key: adminA, json: feedback).status == .ok)
        #expect(try await gateway(.get, "/v1/agents/langgraph-v2:private/trust", key: adminA).json?["history"]?.arrayValue?.count == 1)
        let trustB = try await gateway(.get, "/v1/agents/langgraph-v2:private/trust", key: adminB)
        #expect(trustB.status == .ok && trustB.json?["history"]?.arrayValue?.isEmpty ?? true && trustB.json?["current"]?["score"]?.doubleValue == 0.5,
                "\(trustB.text)")
        let listB = try await gateway(.get, "/v1/agents", key: adminB)
        #expect(listB.json?["agents"]?.arrayValue?.isEmpty ?? true)
        let searchB = try await gateway(.get, "/v1/agents/search?capability=reports", key: adminB)
        #expect(searchB.status == .ok && searchB.json?["agents"]?.arrayValue?.isEmpty ?? true)
        #expect(try await gateway(.get, "/v1/agents/langgraph-v2:private/versions", key: adminB).json?["versions"]?.arrayValue?.isEmpty ?? true)
        #expect(try await gateway(.post, "/v1/agents/langgraph-v2:private/heartbeat", key: adminB, json: [:]).status == .notFound)
        #expect(try await gateway(.delete, "/v1/agents/langgraph-v2:private", key: adminB).status == .notFound)
        // B has no policy: its check is refused, A's agent stays A's.
        let checkB = try await gateway(.post, "/v1/governance/check", key: adminB, json: ["agent_id": "langgraph-v2:private", "action": "reports.generate"])
        #expect(checkB.status == .notFound && checkB.problemType == "https://agion.dev/problems/unknown-tenant", "\(checkB.text)")
        try await eventually("A's check is allowed and audited") {
            let decision = try await gateway(.post, "/v1/governance/check", key: adminA,
                                             json: ["agent_id": "langgraph-v2:private", "action": "reports.generate"])
            return decision.json?["effect"] == "allow"
        }
        let decisionsB = try await gateway(.get, "/v1/decisions?agent_id=langgraph-v2:private", key: adminB)
        #expect(decisionsB.status == .ok && decisionsB.json?["records"]?.arrayValue?.isEmpty ?? true)
        #expect(try await gateway(.post, "/v1/decisions/verify", key: adminB).json?["records_checked"]?.stringValue == "0")
        #expect(try await gateway(.get, "/v1/policies", key: adminB).json?["revisions"]?.arrayValue?.isEmpty ?? true)
        #expect(try await gateway(.get, "/v1/policies/1", key: adminB).status == .notFound)
        #expect(try await gateway(.post, "/v1/policies/1/activate", key: adminB).status == .notFound)
        let keysB = try await gateway(.get, "/v1/api-keys", key: adminB)
        #expect(keysB.json?["keys"]?.arrayValue?.count == 1)
        let keyOfA = try await gateway(.get, "/v1/api-keys", key: adminA).json?["keys"]?.arrayValue?.first?["key_id"]?.stringValue
        #expect(try await gateway(.delete, "/v1/api-keys/\(try #require(keyOfA))", key: adminB).status == .notFound)
        // The body cannot name a tenant.
        var smuggled = Self.registration("smuggled")
        if case .object(var root) = smuggled, case .array(var agents)? = root["agents"], case .object(var agent) = agents[0] {
            agent["tenant"] = .string("someone-else")
            agents[0] = .object(agent)
            root["agents"] = .array(agents)
            smuggled = .object(root)
        }
        let refused = try await gateway(.post, "/v1/agents", key: adminA, json: smuggled)
        #expect(refused.status == .badRequest && refused.field == "agents[0].tenant", "\(refused.text)")
    }

    @Test func credentialsAreCheckedAndRevocationIsImmediate() async throws {
        let (_, admin) = try await tenant()
        let missing = try await gateway(.get, "/v1/agents", key: nil)
        #expect(missing.status == .unauthorized && missing.headers[.wwwAuthenticate] != nil)
        #expect(missing.headers[.contentType] == "application/problem+json")
        #expect(missing.json?["request_id"]?.stringValue?.isEmpty == false)
        #expect(try await gateway(.get, "/v1/agents", key: "agion_0123456789abcdef_" + String(repeating: "A", count: 43)).status == .unauthorized)
        #expect(try await gateway(.get, "/v1/agents", key: "not-a-key").status == .unauthorized)

        let viewer = try await key("viewer", admin: admin)
        #expect(try await gateway(.get, "/v1/agents", key: viewer).status == .ok)
        let keyID = try #require(APIKey(viewer)?.keyID)
        let revoked = try await gateway(.delete, "/v1/api-keys/\(keyID)", key: admin)
        #expect(revoked.status == .ok && revoked.json?["revoked_at"] != nil)
        let after = try await gateway(.get, "/v1/agents", key: viewer)
        #expect(after.status == .unauthorized && after.json?["detail"] == "the API key was revoked")
    }

    @Test func badInputGetsProblemDetailsNamingTheField() async throws {
        let (_, admin) = try await tenant()
        let notJSON = try await gateway(.post, "/v1/governance/check", key: admin, raw: "{\"agent_id\": ", contentType: "application/json")
        #expect(notJSON.status == .badRequest && notJSON.problemType == "https://agion.dev/problems/invalid-json")
        let unknown = try await gateway(.post, "/v1/governance/check", key: admin, json: ["agent_id": "c:n", "action": "a", "colour": "red"])
        #expect(unknown.status == .badRequest && unknown.field == "colour")
        let wrongType = try await gateway(.post, "/v1/governance/check", key: admin, json: ["agent_id": 12, "action": "a"])
        #expect(wrongType.status == .badRequest && wrongType.field == "agent_id")
        let invalidID = try await gateway(.post, "/v1/governance/check", key: admin, json: ["agent_id": "no-colon", "action": "a"])
        #expect(invalidID.status == .badRequest && invalidID.field == "agent_id", "\(invalidID.text)")
        let badEnum = try await gateway(.get, "/v1/agents?status=sleepy", key: admin)
        #expect(badEnum.status == .badRequest && badEnum.field == "status")
        let badQuery = try await gateway(.get, "/v1/agents?colour=red", key: admin)
        #expect(badQuery.status == .badRequest && badQuery.field == "colour")
        let tooBig = try await gateway(.post, "/v1/governance/check", key: admin,
                                       json: ["agent_id": "c:n", "action": "a", "context": ["blob": .string(String(repeating: "x", count: 70_000))]])
        #expect(tooBig.status == .contentTooLarge)
        let yamlAsJSON = try await gateway(.post, "/v1/governance/check", key: admin, raw: "agent_id: c:n", contentType: "application/yaml")
        #expect(yamlAsJSON.status == .unsupportedMediaType)
        let invalidPolicy = try await gateway(.post, "/v1/policies", key: admin, raw: "version: 1\nrules:\n  - id: x\n    effect: maybe\n",
                                              contentType: "application/yaml")
        #expect(invalidPolicy.status == .badRequest && invalidPolicy.field == "document.rules[0].effect", "\(invalidPolicy.text)")
        let noRoute = try await gateway(.get, "/v1/nothing-here", key: admin)
        #expect(noRoute.status == .notFound && noRoute.headers[.contentType] == "application/problem+json")
    }

    /// The document states the services' rules, and the services enforce what it states.
    @Test func theOpenAPIDocumentStatesTheRulesTheServicesEnforce() async throws {
        let (_, admin) = try await tenant()
        let document = try #require(try await gateway(.get, "/openapi.json", key: nil).json)
        let paths = try #require(document["paths"])
        func body(_ path: String) -> JSONValue? { paths[path]?["post"]?["requestBody"]?["content"]?["application/json"]?["schema"] }
        #expect(body("/v1/governance/check")?["required"] == ["agent_id", "action"])
        let noAction = try await gateway(.post, "/v1/governance/check", key: admin, json: ["agent_id": "c:n"])
        #expect(noAction.status == .badRequest && noAction.field == "action", "\(noAction.text)")
        #expect(body("/v1/governance/check")?["properties"]?["action"]?["maxLength"] == 256)
        let spaced = try await gateway(.post, "/v1/governance/check", key: admin, json: ["agent_id": "c:n", "action": "two words"])
        #expect(spaced.status == .badRequest && spaced.field == "action")
        #expect(body("/v1/feedback")?["properties"]?["rating"]?["maximum"] == 5)
        let six = try await gateway(.post, "/v1/feedback", key: admin, json: ["agent_id": "c:n", "rating": 6, "source": "user:a"])
        #expect(six.status == .badRequest && six.field == "rating")
        #expect(body("/v1/agents")?["properties"]?["agents"]?["minItems"] == 1)
        let none = try await gateway(.post, "/v1/agents", key: admin, json: ["container": "c", "agents": []])
        #expect(none.status == .badRequest && none.field == "agents")
        let activate = paths["/v1/policies/{revision}/activate"]?["post"]?["parameters"]?.arrayValue?.first
        #expect(activate?["schema"]?["minimum"] == 1)
        #expect(try await gateway(.post, "/v1/policies/0/activate", key: admin).field == "revision")
        // Within the contract's uint32 but beyond any revision the store can hold: not found, not a 500 (found by the fuzz).
        for path in ["/v1/policies/2446399496/activate", "/v1/policies/4294967295"] {
            let beyond = try await gateway(path.hasSuffix("activate") ? .post : .get, path, key: admin)
            #expect(beyond.status == .notFound && beyond.field == "revision", "\(path): \(beyond.text)")
        }
    }

    @Test func everyRouteIsInTheOpenAPIDocument() async throws {
        let document = try await gateway(.get, "/openapi.json", key: nil)
        #expect(document.status == .ok && document.json?["openapi"] == "3.1.0")
        let paths = try #require(document.json?["paths"])
        for route in GatewayRoutes.all {
            #expect(paths[route.path]?[route.method.lowercased()] != nil, "\(route.method) \(route.path) is not in /openapi.json")
        }
        // A refusal a service can give (failed-precondition) is a documented
        // 409 (the API fuzz found createAuditArchive's undocumented once).
        #expect(GatewayRoutes.conflicts.isSuperset(of: ["createAuditArchive", "dropAuditArchive", "auditArchiveRecords", "decisionProof", "auditConsistency"]))
        for route in GatewayRoutes.operations where GatewayRoutes.conflicts.contains(route.operationID) {
            #expect(paths[route.path]?[route.method.lowercased()]?["responses"]?["409"] != nil, "\(route.operationID) does not document its 409")
        }
        for path in ["/health", "/ready", "/metrics", "/openapi.json"] { #expect(paths[path]?["get"] != nil) }
        #expect(try await gateway(.get, "/health", key: nil).status == .ok)
        #expect(try await gateway(.get, "/metrics", key: nil).status == .ok)
    }

    /// The value of one series at /metrics (0 when it is not there yet).
    static func metric(_ series: String) async throws -> Double {
        let text = try await gateway(.get, "/metrics", key: nil).text
        let line = text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test func metricsCountEveryRouteByStatusAndTimeItsAnswers() async throws {
        RuntimeBootstrap.bootstrap(ServiceConfiguration(serviceName: "tests", adminPort: 1))  // live counters
        let (_, admin) = try await tenant()
        let labels = #"http_route="/v1/agents/{agent_id}",http_request_method="GET""#
        let found = "hb_requests{\(labels),http_response_status_code=\"200\"}"
        let missing = "hb_requests{\(labels),http_response_status_code=\"404\"}"
        let missingErrors = "hb_request_errors{\(labels),error_type=\"404\"}"
        let timed = "http_server_request_duration_count{\(labels),http_response_status_code=\"200\"}"
        let before = (try await Self.metric(found), try await Self.metric(missing), try await Self.metric(missingErrors), try await Self.metric(timed))

        #expect(try await gateway(.post, "/v1/agents", key: admin, json: Self.registration("metered")).status == .ok)
        for _ in 0..<3 { #expect(try await gateway(.get, "/v1/agents/langgraph-v2:metered", key: admin).status == .ok) }
        for _ in 0..<2 { #expect(try await gateway(.get, "/v1/agents/langgraph-v2:nobody", key: admin).status == .notFound) }

        #expect(try await Self.metric(found) - before.0 == 3)
        #expect(try await Self.metric(missing) - before.1 == 2)
        #expect(try await Self.metric(missingErrors) - before.2 == 2)
        #expect(try await Self.metric(timed) - before.3 == 3)
    }
}

extension GatewayTests {
    @Test func rateLimitsAreSharedByTwoGatewayReplicas() async throws {
        let (_, admin) = try await tenant()
        let prefix = "it:gw:rl:" + UUID().uuidString
        let first = try await GatewayHarness.shared.replica { $0.rateLimitPrefix = prefix; $0.ratePerCredential = 1; $0.burstPerCredential = 4
            $0.ratePerTenant = 1; $0.burstPerTenant = 6 }
        let second = try await GatewayHarness.shared.replica { $0.rateLimitPrefix = prefix; $0.ratePerCredential = 1; $0.burstPerCredential = 4
            $0.ratePerTenant = 1; $0.burstPerTenant = 6 }
        let one = try await key("viewer", admin: admin), two = try await key("viewer", admin: admin)
        // Four requests of one key, alternating replicas, pass; the fifth is refused.
        for i in 0..<4 {
            let ok = try await gateway(.get, "/v1/agents", key: one, via: i % 2 == 0 ? first : second)
            #expect(ok.status == .ok, "request \(i): \(ok.text)")
            #expect(ok.headers[HTTPField.Name("RateLimit-Limit")!] != nil && ok.headers[HTTPField.Name("RateLimit-Remaining")!] != nil)
        }
        let refused = try await gateway(.get, "/v1/agents", key: one, via: first)
        #expect(refused.status == .tooManyRequests && refused.problemType == "https://agion.dev/problems/rate-limited")
        #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
        #expect(refused.headers[HTTPField.Name("RateLimit-Remaining")!] == "0")
        // The tenant's bucket (6) is shared by its keys: the other key gets two.
        #expect(try await gateway(.get, "/v1/agents", key: two, via: second).status == .ok)
        #expect(try await gateway(.get, "/v1/agents", key: two, via: first).status == .ok)
        #expect(try await gateway(.get, "/v1/agents", key: two, via: second).status == .tooManyRequests)
        // A second later the buckets have a token again.
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(try await gateway(.get, "/v1/agents", key: one, via: second).status == .ok)
    }

    /// How often this process's gateways asked Redis for tokens (the counter is shared by the replicas in it).
    static func redisTokenCalls() async throws -> Int {
        Int(try await metric("agion_gateway_rate_limit_redis_calls_total"))
    }

    @Test func busyKeysTakeTokensInLeasesAndStayWithinTheirBuckets() async throws {
        RuntimeBootstrap.bootstrap(ServiceConfiguration(serviceName: "tests", adminPort: 1))  // live counters in the replicas made below
        let (_, admin) = try await tenant()
        let prefix = "it:gw:rl:" + UUID().uuidString
        func replica(rate: Int, burst: Int) async throws -> GatewayRouter {
            try await GatewayHarness.shared.replica { $0.rateLimitPrefix = prefix; $0.ratePerCredential = rate; $0.burstPerCredential = burst }
        }
        // A key well within a generous limit: almost every request is served from a lease.
        let roomy = try await replica(rate: 1_000, burst: 2_000)
        let busy = try await key("viewer", admin: admin)
        let before = try await Self.redisTokenCalls()
        let statuses = try await withThrowingTaskGroup(of: [HTTPResponse.Status].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var statuses: [HTTPResponse.Status] = []
                    for _ in 0..<100 { statuses.append(try await gateway(.get, "/v1/agents", key: busy, via: roomy).status) }
                    return statuses
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(statuses.allSatisfy { $0 == .ok }, "\(Set(statuses))")
        let calls = try await Self.redisTokenCalls() - before
        #expect(calls > 0, "the counter is live")
        // Without leases it would be at least 400. The counter is the
        // process's: suites running alongside (missions, fairness) add their
        // own calls, 60 once in a full run, so the bound leaves them room.
        #expect(calls < 300, "400 requests asked Redis \(calls) times")

        // A key over a tight limit on two replicas: never more than the bucket held, whatever the replicas lease.
        let first = try await replica(rate: 20, burst: 40), second = try await replica(rate: 20, burst: 40)
        let flooding = try await key("viewer", admin: admin)
        let started = ContinuousClock.now
        let answers = try await withThrowingTaskGroup(of: [HTTPResult].self) { group in
            for stream in 0..<4 {
                group.addTask {
                    var answers: [HTTPResult] = []
                    for i in 0..<40 { answers.append(try await gateway(.get, "/v1/agents", key: flooding, via: (stream + i) % 2 == 0 ? first : second)) }
                    return answers
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1_000
        let allowed = answers.filter { $0.status == .ok }.count
        let refused = answers.filter { $0.status == .tooManyRequests }
        #expect(allowed + refused.count == 160)
        #expect(Double(allowed) <= 40 + 20 * elapsed + 1, "\(allowed) allowed in \(elapsed) s")
        #expect(refused.allSatisfy { Int($0.headers[.retryAfter] ?? "") ?? 0 >= 1 })
        // 160 requests outrun the bucket (40, then 20/s) unless the machine
        // is so loaded that they take 6 s or more: then none need refusing.
        if elapsed < 5 { #expect(!refused.isEmpty, "160 requests in \(elapsed) s, none refused") }
    }
}

extension GatewayTests {
    /// An HS256 token as an identity provider would sign it.
    static func token(tenant: String, role: String = "viewer", audience: String = "agion", expiresIn: TimeInterval = 300, secret: String) -> String {
        func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let claims: JSONValue = ["iss": "https://idp.example", "aud": .string(audience), "sub": "alice", "tenant": .string(tenant),
                                 "role": .string(role), "exp": .integer(Int64(Date().timeIntervalSince1970 + expiresIn))]
        let signed = base64URL(Data(JSONValue.object(["alg": "HS256", "typ": "JWT"]).serialized)) + "." + base64URL(Data(claims.serialized))
        return signed + "." + base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(signed.utf8), using: SymmetricKey(data: Data(secret.utf8)))))
    }

    @Test func jwtBearerTokensAuthenticateAndAreChecked() async throws {
        let (tenant, _) = try await tenant()
        let secret = String(repeating: "k", count: 40)
        let replica = try await GatewayHarness.shared.replica {
            $0.jwt = JWTVerifier.Settings(hs256Secret: Array(secret.utf8), issuer: "https://idp.example", audience: "agion")
        }
        let viewer = Self.token(tenant: tenant, secret: secret)
        #expect(try await gateway(.get, "/v1/agents", key: viewer, via: replica).status == .ok)
        let check = try await gateway(.post, "/v1/governance/check", key: viewer, json: ["agent_id": "c:n", "action": "a"], via: replica)
        #expect(check.status == .forbidden)
        let expired = try await gateway(.get, "/v1/agents", key: Self.token(tenant: tenant, expiresIn: -600, secret: secret), via: replica)
        #expect(expired.status == .unauthorized && expired.json?["detail"]?.stringValue?.contains("expired") == true, "\(expired.text)")
        let wrongAudience = try await gateway(.get, "/v1/agents", key: Self.token(tenant: tenant, audience: "billing", secret: secret), via: replica)
        #expect(wrongAudience.status == .unauthorized && wrongAudience.json?["detail"]?.stringValue?.contains("audience") == true)
        let wrongSecret = try await gateway(.get, "/v1/agents", key: Self.token(tenant: tenant, secret: String(repeating: "x", count: 40)), via: replica)
        #expect(wrongSecret.status == .unauthorized)
        // A gateway without JWT settings takes API keys only.
        #expect(try await gateway(.get, "/v1/agents", key: viewer).status == .unauthorized)
    }
}

extension GatewayTests {
    /// A gateway on a NATS of its own: no service runs there (503), then one
    /// that never answers (504).
    @Test func servicesThatAreMissingOrSlowGet503And504() async throws {
        let (_, admin) = try await tenant()
        let server = try PrivateServer.nats()
        try await server.start()
        defer { server.stop() }
        let replica = try await GatewayHarness.shared.replica(natsURL: server.url) { $0.serviceTimeout = .milliseconds(300) }
        let missing = try await gateway(.get, "/v1/agents", key: admin, via: replica)
        #expect(missing.status == .serviceUnavailable && missing.problemType == "https://agion.dev/problems/service-unavailable", "\(missing.text)")
        #expect(missing.headers[.retryAfter] != nil)

        let bus = try await TestEnvironment.bus(url: server.url)
        let silent = try bus.respond(RegistrySubjects.list, queue: "registry") { envelope in
            try await Task.sleep(for: .seconds(2))
            return envelope
        }
        try await bus.flush()
        let slow = try await gateway(.get, "/v1/agents", key: admin, via: replica)
        #expect(slow.status == .gatewayTimeout && slow.problemType == "https://agion.dev/problems/service-timeout", "\(slow.text)")
        try? await silent.drain(timeout: .seconds(3))
        try? await bus.drain(timeout: .seconds(1))
    }
}

extension GatewayTests {
    @Test func browsersFromAConfiguredOriginMayCallTheAPI() async throws {
        let (_, admin) = try await tenant()
        let replica = try await GatewayHarness.shared.replica { $0.corsOrigins = ["https://dash.example"] }
        let preflight = try await gateway(.options, "/v1/agents", key: nil, headers: [.origin: "https://dash.example", .accessControlRequestMethod: "POST"],
                                          via: replica)
        #expect(preflight.status == .noContent)
        #expect(preflight.headers[.accessControlAllowOrigin] == "https://dash.example")
        #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
        let allowed = try await gateway(.get, "/v1/agents", key: admin, headers: [.origin: "https://dash.example"], via: replica)
        #expect(allowed.status == .ok && allowed.headers[.accessControlAllowOrigin] == "https://dash.example")
        #expect(allowed.headers[.accessControlExposeHeaders]?.contains("X-Request-Id") == true)
        let other = try await gateway(.get, "/v1/agents", key: admin, headers: [.origin: "https://evil.example"], via: replica)
        #expect(other.status == .ok && other.headers[.accessControlAllowOrigin] == nil)
        // Without configured origins, no CORS headers at all.
        #expect(try await gateway(.get, "/v1/agents", key: admin, headers: [.origin: "https://dash.example"]).headers[.accessControlAllowOrigin] == nil)
    }
}

extension GatewayTests {
    /// Found by the schema-driven fuzz: a policy whose key holds a NUL made
    /// governance's error reply unencodable, and the gateway answered 500.
    @Test func aPolicyQuotingANulGetsA400() async throws {
        let (_, admin) = try await tenant()
        let response = try await gateway(.post, "/v1/policies", key: admin, raw: "{\"B\\u00bc\\u0000\\u008d\": [null]}", contentType: "application/json")
        #expect(response.status == .badRequest, "\(response.text)")
        #expect(response.problemType == "https://agion.dev/problems/invalid-request")
    }
}
