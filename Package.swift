// swift-tools-version:6.0
// Agion: a control plane for AI agents. Five services over NATS JetStream that
// share the modules under Shared/. See docs/architecture.md for the map.
import PackageDescription

let package = Package(
    name: "agion",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AgionEnvelope", targets: ["AgionEnvelope"]),
        .library(name: "AgionBus", targets: ["AgionBus"]),
        .library(name: "AgionContract", targets: ["AgionContract"]),
        .library(name: "AgionStore", targets: ["AgionStore"]),
        .library(name: "AgionCache", targets: ["AgionCache"]),
        .library(name: "AgionRuntime", targets: ["AgionRuntime"]),
        // Agents written in Swift: governance client, governed(), AgentContainer (docs/sdk-swift.md).
        .library(name: "AgionSDK", targets: ["AgionSDK"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C libraries from Debian's packages: module maps and shims only.
        .systemLibrary(name: "CNats", path: "Shared/CNats", providers: [.apt(["libnats-dev"])]),
        .systemLibrary(name: "CHiredis", path: "Shared/CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Shared/CLibPQ", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CProtobufC", path: "Shared/CProtobufC", providers: [.apt(["libprotobuf-c-dev"])]),
        // protoc-c output for Proto/agion/v1 (make proto), committed, never edited.
        .target(
            name: "CAgionProto",
            dependencies: ["CProtobufC"],
            path: "Shared/CAgionProto",
            exclude: ["README.md"]
        ),

        .target(
            name: "AgionEnvelope",
            dependencies: ["CAgionProto", "CProtobufC"],
            path: "Shared/AgionEnvelope"
        ),
        // The services' contract types (ProtoConvertible, validated), shared by
        // the services, the gateway and the SDKs.
        .target(
            name: "AgionContract",
            dependencies: ["AgionEnvelope"],
            path: "Shared/AgionContract"
        ),
        // A JSON document as a value (the gateway's bodies, agionctl).
        .target(
            name: "AgionJSON",
            path: "Shared/AgionJSON"
        ),
        // NATS authentication (docs/security.md): nkeys, JWTs, the accounts and
        // permissions Agion issues.
        .target(
            name: "AgionNATSAuth",
            dependencies: ["AgionEnvelope", "AgionJSON", .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/AgionNATSAuth"
        ),
        .executableTarget(
            name: "agion-natsauth",
            dependencies: ["AgionNATSAuth"],
            path: "Tools/agion-natsauth"
        ),
        .target(
            name: "AgionBus",
            dependencies: [
                "CNats", "AgionEnvelope",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Shared/AgionBus"
        ),
        .target(
            name: "AgionStore",
            dependencies: [
                "CLibPQ", "AgionEnvelope", "AgionBus",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Shared/AgionStore"
        ),
        .target(
            name: "AgionCache",
            dependencies: [
                "CHiredis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Shared/AgionCache"
        ),
        .target(
            name: "AgionRuntime",
            dependencies: [
                "AgionBus", "AgionStore", "AgionCache", "AgionContract", "AgionJSON",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Shared/AgionRuntime"
        ),

        // Services: a library each (what main and the integration tests call)
        // and an executable of a few lines.
        .target(
            name: "AgionRegistry",
            dependencies: [
                "AgionContract", "AgionEnvelope", "AgionBus", "AgionStore", "AgionRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Registry/Sources"
        ),
        // Governance's pure core: the policy engine, the trust model and the
        // audit hash chain. No I/O, so it is unit-tested and benchmarked in-process.
        .target(
            name: "GovernanceCore",
            dependencies: ["AgionContract", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")],
            path: "Services/Governance/Core"
        ),
        // Coordination's pure core: mission definitions, input templates, the
        // mission state machine and agent choice. No I/O: unit-tested in full.
        .target(
            name: "MissionsCore",
            dependencies: ["AgionContract", "AgionEnvelope", "AgionJSON", .product(name: "Crypto", package: "swift-crypto")],
            path: "Services/Coordination/Core"
        ),
        .target(
            name: "AgionCoordination",
            dependencies: [
                "MissionsCore", "AgionContract", "AgionEnvelope", "AgionJSON", "AgionBus", "AgionStore", "AgionRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Coordination/Sources"
        ),
        .executableTarget(
            name: "agion-coordination",
            dependencies: ["AgionCoordination", "AgionRuntime"],
            path: "Services/Coordination/Main"
        ),
        // Runs mission steps: governance check, the agent (HTTP or NATS), validation, reports.
        .target(
            name: "AgionExecution",
            dependencies: [
                "MissionsCore", "AgionContract", "AgionEnvelope", "AgionJSON", "AgionBus", "AgionStore", "AgionRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Execution/Sources"
        ),
        .executableTarget(
            name: "agion-execution",
            dependencies: ["AgionExecution", "AgionRuntime"],
            path: "Services/Execution/Main"
        ),
        .target(
            name: "AgionGovernance",
            dependencies: [
                "AgionContract", "AgionEnvelope", "AgionBus", "AgionStore", "AgionCache", "AgionRuntime", "AgionJSON", "GovernanceCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Governance/Sources"
        ),
        .executableTarget(
            name: "agion-governance",
            dependencies: ["AgionGovernance", "AgionRuntime", .product(name: "Logging", package: "swift-log")],
            path: "Services/Governance/Main"
        ),
        // The public HTTP API (Hummingbird): translates routes to NATS requests.
        .target(
            name: "AgionGateway",
            dependencies: [
                "AgionNATSAuth", "AgionContract", "AgionEnvelope", "AgionBus", "AgionStore", "AgionRuntime", "AgionJSON",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Gateway/Sources"
        ),
        .executableTarget(
            name: "agion-gateway",
            dependencies: ["AgionGateway", "AgionRuntime", .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            path: "Services/Gateway/Main"
        ),
        .executableTarget(
            name: "agion-registry",
            dependencies: ["AgionRegistry", "AgionRuntime", .product(name: "Logging", package: "swift-log")],
            path: "Services/Registry/Main"
        ),

        // The command line (docs/cli.md): policies, checks, audit verification.
        .executableTarget(
            name: "agion",
            dependencies: ["AgionBus", "AgionContract", "AgionEnvelope", "AgionRuntime", .product(name: "Logging", package: "swift-log")],
            path: "Tools/agion"
        ),

        // agionctl: the command line over the HTTP API (docs/agionctl.md).
        .executableTarget(
            name: "agionctl",
            dependencies: ["AgionJSON", "AgionContract", "AgionEnvelope", "GovernanceCore", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Yams", package: "Yams")],
            path: "Tools/agionctl"
        ),

        // Example agent containers (docs/agent-contract.md): real HTTP servers
        // that register, heartbeat and deregister through the gateway.
        .target(
            name: "ExampleAgentKit",
            dependencies: [
                "AgionJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/AgentKit"
        ),
        .executableTarget(name: "agion-example-research", dependencies: ["ExampleAgentKit", "AgionJSON"], path: "Examples/ResearchAgent"),
        .executableTarget(name: "agion-example-writer", dependencies: ["ExampleAgentKit", "AgionJSON"], path: "Examples/WriterAgent"),

        // Agent container templates (Templates/, docs/agent-contract.md): copy one to start an agent.
        .executableTarget(name: "agion-template-swift", dependencies: ["AgionSDK", "AgionContract", "AgionJSON"], path: "Templates/swift-agent",
                          exclude: ["Containerfile", "deployment.yaml"]),

        // Benchmarks (make bench): each prints one JSON object per line.
        .executableTarget(
            name: "agion-bench",
            dependencies: ["AgionEnvelope", "AgionBus", "AgionContract", "AgionRuntime", "AgionStore", "AgionJSON", "GovernanceCore", "MissionsCore",
                           .product(name: "Logging", package: "swift-log"), .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "bench/AgionBench"
        ),

        // The Swift SDK for agents: on AgionBus and AgionContract, no service runtime.
        .target(
            name: "AgionSDK",
            dependencies: ["AgionBus", "AgionNATSAuth", "AgionContract", "AgionEnvelope", "AgionJSON", "MissionsCore",
                           .product(name: "Logging", package: "swift-log")],
            path: "SDKs/swift/Sources/AgionSDK"
        ),
        .testTarget(
            name: "MissionsCoreTests",
            dependencies: ["MissionsCore", "AgionContract", "AgionJSON"],
            path: "Tests/MissionsCoreTests"
        ),
        .testTarget(
            name: "AgionEnvelopeTests",
            dependencies: ["AgionEnvelope"],
            path: "Tests/AgionEnvelopeTests"
        ),
        .testTarget(
            name: "AgionContractTests",
            dependencies: ["AgionContract", "AgionEnvelope"],
            path: "Tests/AgionContractTests"
        ),
        .testTarget(
            name: "AgionGatewayTests",
            dependencies: [
                "AgionGateway", "AgionJSON", "AgionContract", "AgionEnvelope",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/AgionGatewayTests"
        ),
        .testTarget(
            name: "GovernanceCoreTests",
            dependencies: ["GovernanceCore", "AgionContract", "AgionEnvelope"],
            path: "Tests/GovernanceCoreTests"
        ),
        .testTarget(
            name: "AgionRuntimeTests",
            dependencies: ["AgionRuntime"],
            path: "Tests/AgionRuntimeTests"
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "AgionEnvelope", "AgionBus", "AgionStore", "AgionCache", "AgionRuntime", "AgionContract",
                "AgionRegistry", "AgionGovernance", "GovernanceCore", "AgionGateway", "AgionJSON", "AgionCoordination", "AgionExecution", "MissionsCore", "AgionSDK",
                "AgionNATSAuth",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Tests/IntegrationTests"
        ),
    ]
)
