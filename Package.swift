// swift-tools-version: 6.1
import PackageDescription

// Swift 6 language mode is the default for tools-version 6.x; these upcoming features keep
// existentials and imports explicit across the pipeline-stage modules.
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ptb",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ptb", targets: ["ptb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Only PTBWeb (and so the ptb executable) links the web server; no configuration-file support needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
    ],
    targets: [
        // SHA-256 is ptb's only cryptographic need; a C file instead of swift-crypto saves a second
        // BoringSSL in every build (about 50 s of the demo's on 2 cores). Optimised even in debug
        // builds, where hashing a checkpoint at -O0 would take minutes.
        .target(name: "CPTBHash", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "PTBCore", dependencies: ["CPTBHash", .product(name: "Yams", package: "Yams")], swiftSettings: settings),
        .target(name: "CPTBSys"),
        .target(name: "PTBProcess", dependencies: ["PTBCore", "CPTBSys"], swiftSettings: settings),
        .target(name: "PTBSandbox", dependencies: ["PTBCore", "PTBProcess"], swiftSettings: settings),
        .target(name: "PTBInference", dependencies: [
            "PTBCore", "PTBProcess",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: settings),
        .target(name: "PTBTasks", dependencies: [
            "PTBCore",
            // The pinned-data downloader (`ptb data pull`) lives beside the task data it imports.
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], resources: [.copy("Resources")], swiftSettings: settings),
        .target(name: "PTBExecution", dependencies: ["PTBCore", "PTBProcess"], swiftSettings: settings),
        .target(name: "PTBIntegrity", dependencies: ["PTBCore", "PTBTasks", "PTBAgents"], swiftSettings: settings),
        .target(name: "PTBEval", dependencies: ["PTBCore", "PTBTasks", "PTBInference", "PTBExecution", "PTBProcess", "PTBJudge"], swiftSettings: settings),
        .target(name: "PTBJudge", dependencies: [
            "PTBCore", "PTBTasks", "PTBInference",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: settings),
        .target(name: "PTBAgents", dependencies: ["PTBCore", "PTBProcess", "PTBSandbox", .product(name: "Yams", package: "Yams")],
                resources: [.copy("Python")], swiftSettings: settings),
        .target(name: "PTBStore", dependencies: ["PTBCore", "PTBIntegrity", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: settings),
        .target(name: "PTBJobs", dependencies: ["PTBCore", "PTBProcess", .product(name: "Yams", package: "Yams")], swiftSettings: settings),
        .target(name: "PTBResults", dependencies: ["PTBCore", "PTBStore", "PTBTasks"], swiftSettings: settings),
        .target(name: "CPTBText"),
        .target(name: "PTBWeb", dependencies: [
            "PTBCore", "PTBResults", "PTBStore", "CPTBText",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: settings),
        .target(name: "PTBRunner", dependencies: [
            "PTBCore", "PTBProcess", "PTBSandbox", "PTBInference", "PTBTasks", "PTBEval", "PTBExecution", "PTBAgents", "PTBStore", "PTBIntegrity", "PTBJudge",
            .product(name: "Yams", package: "Yams"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ], resources: [.copy("Templates"), .copy("Cache")], swiftSettings: settings),
        .target(name: "PTBCommands", dependencies: [
            "PTBRunner", "PTBStore", "PTBEval", "PTBIntegrity", "PTBTasks", "PTBResults", "PTBJobs", "PTBExecution", "PTBCore", "PTBWeb", "PTBJudge",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: settings),
        .executableTarget(name: "ptb", dependencies: ["PTBCommands"], swiftSettings: settings),
        // Shared by the test targets: scratch dirs, the fake OpenAI-compatible engine, golden
        // files, and skips that show as skipped (failures under PTB_REQUIRE_INTEGRATION=1).
        .target(name: "PTBTestSupport", dependencies: ["PTBCore"], path: "Tests/PTBTestSupport", swiftSettings: settings),
        .testTarget(name: "PTBCoreTests", dependencies: ["PTBCore", "PTBTestSupport"], exclude: ["Golden"], swiftSettings: settings),
        .testTarget(name: "PTBTasksTests", dependencies: ["PTBTasks", "PTBExecution", "PTBCore", "PTBProcess", "PTBTestSupport"], exclude: ["Golden"], swiftSettings: settings),
        .testTarget(name: "PTBJobsTests", dependencies: ["PTBJobs"], swiftSettings: settings),
        .testTarget(name: "PTBAgentsTests", dependencies: ["PTBAgents", "PTBCore", "PTBTestSupport"], swiftSettings: settings),
        .testTarget(name: "PTBResultsTests", dependencies: ["PTBResults", "PTBCore"], swiftSettings: settings),
        .testTarget(name: "PTBIntegrityTests", dependencies: ["PTBIntegrity", "PTBTasks", "PTBCore", "PTBTestSupport"], exclude: ["Golden"], swiftSettings: settings),
        .testTarget(name: "PTBSandboxTests", dependencies: ["PTBSandbox", "PTBProcess", "PTBCore", "PTBTestSupport"], exclude: ["Golden"], swiftSettings: settings),
        .testTarget(name: "PTBWebTests", dependencies: [
            "PTBWeb", "PTBResults", "PTBCore", "PTBStore", "PTBTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: settings),
        .testTarget(name: "PTBRunnerTests", dependencies: ["PTBRunner", "PTBCommands", "PTBTasks", "PTBIntegrity", "PTBCore", "PTBAgents", "PTBEval", "PTBExecution", "PTBJudge", "PTBStore", "PTBJobs", "PTBProcess", "PTBTestSupport"], swiftSettings: settings),
        .testTarget(name: "PTBJudgeTests", dependencies: ["PTBJudge", "PTBTasks", "PTBCore", "PTBTestSupport"], exclude: ["Golden"], swiftSettings: settings),
        .testTarget(name: "PTBEvalTests", dependencies: ["PTBEval", "PTBInference", "PTBProcess", "PTBTasks", "PTBCore", "PTBTestSupport"],
                    exclude: ["Golden"], swiftSettings: settings),
        .testTarget(name: "PTBInferenceTests", dependencies: ["PTBInference", "PTBCore", "PTBTestSupport", .product(name: "NIOCore", package: "swift-nio")], exclude: ["Golden"], swiftSettings: settings),
        .testTarget(name: "PTBExecutionTests", dependencies: ["PTBExecution", "PTBCore", "PTBTestSupport"], swiftSettings: settings),
        .testTarget(name: "PTBProcessTests", dependencies: ["PTBProcess"], swiftSettings: settings),
        .testTarget(name: "PTBStoreTests", dependencies: ["PTBStore", "PTBCore", "PTBTestSupport"], swiftSettings: settings),
        .testTarget(name: "PTBCommandsTests", dependencies: ["PTBCommands", "PTBCore", "PTBSandbox", "PTBTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                    exclude: ["Golden"], swiftSettings: settings),
    ]
)
