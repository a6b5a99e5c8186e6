import Foundation
import PTBCore
import PTBProcess
import PTBSandbox
import PTBTestSupport
import Testing

/// The seam of a sandbox runtime: one file conforming to `SandboxRuntime` plus its line in
/// `Sandboxes.all`. Every registered runtime is reachable by its name alone, and a runtime
/// defined here, outside Sources, works through the protocol with nothing else to change.
@Suite struct SandboxRegistryTests {
    @Test func everyRegisteredRuntimeRoundTripsItsName() throws {
        let names = Sandboxes.names
        #expect(Set(names).count == names.count, "two runtimes share a name: \(names)")
        #expect(names.first == SandboxKind.bwrap.rawValue, "the default runtime is listed first")
        for name in names {
            let kind = SandboxKind(rawValue: name)
            // Static members are read outside #expect: its expansion cannot take an existential
            // metatype apart (the Swift 6.3 compiler crashes on it).
            let type = try Sandboxes.type(kind)
            let (typeKind, isolates, hostPrograms, fixes) = (type.kind, type.isolates, type.runsHostPrograms, type.doctorFixes)
            #expect(typeKind == kind)
            let runtime = try Sandboxes.runtime(kind, environment: ["PTB_HOME": "/h/.ptb"])
            #expect(runtime.kind == kind && runtime.isolates == isolates && runtime.runsHostPrograms == hostPrograms)
            // run.json keeps the bare name, and reads back the same runtime.
            let stored = try JSONEncoder().encode(kind)
            #expect(String(decoding: stored, as: UTF8.self) == "\"\(name)\"")
            let back = try Sandboxes.type(JSONDecoder().decode(SandboxKind.self, from: stored)).kind
            #expect(back == kind)
            #expect(!fixes.unusable.isEmpty && !fixes.didNotStart.isEmpty)
        }
        // Only a runtime without isolation sees the host's paths; the default isolates.
        let defaultIsolates = try Sandboxes.type(.bwrap).isolates
        let plain = Sandboxes.all.filter { !$0.isolates }.map { $0.kind }
        #expect(defaultIsolates)
        #expect(plain == [.none])
    }

    @Test func anUnknownNameListsTheRegisteredOnes() {
        #expect { _ = try Sandboxes.type("firejail") } throws: {
            "\($0)" == "unknown sandbox 'firejail'. Valid sandboxes: \(Sandboxes.names.joined(separator: ", "))."
        }
    }

    @Test func containerRuntimesNameTheirImagesAndBuilds() throws {
        let home = PTBHome(root: URL(fileURLWithPath: "/h/.ptb"))
        let lock = ContainerLock(text: "BASE_IMAGE=b:1\nSWIFT_IMAGE=s:1\n")
        #expect(!Sandboxes.containerRuntimes.isEmpty)
        for type in Sandboxes.containerRuntimes {
            let (name, hostPrograms) = (type.kind, type.runsHostPrograms)
            #expect(!hostPrograms, "\(name) runs an image's programs")
            for kind in ImageKind.allCases {
                let build = try ImageBuild(runtime: name, kind: kind, repo: URL(fileURLWithPath: "/src/ptb"), lock: lock, home: home)
                let image = type.defaultImage(kind, home: home)
                #expect(build.target == image)
                #expect(build.command.display.contains(build.target) && build.command.workingDirectory?.path == "/src/ptb")
            }
        }
        let builders = Set(Sandboxes.containerRuntimes.map { $0.kind.rawValue })
        for name in Sandboxes.names where !builders.contains(name) {
            #expect(ImageBuild.defaultTarget(runtime: SandboxKind(rawValue: name), kind: .agent, home: home) == nil)
        }
    }

    /// A runtime that exists only in this test: it runs the command under `env -i` with a marker
    /// variable. Made, checked, wrapped and run through the protocol alone.
    struct MarkerSandbox: SandboxRuntime {
        static let kind: SandboxKind = "test-marker"
        static let isolates = false
        static let runsHostPrograms = true
        static var doctorFixes: (unusable: String, didNotStart: String) { ("install env", "check env") }
        var marker: String
        static func make(_ setup: SandboxSetup) -> MarkerSandbox { MarkerSandbox(marker: setup.environment["MARKER"] ?? "unset") }
        func check() throws {
            guard SandboxSupport.findExecutable("/usr/bin/env") != nil else { throw PTBError.sandbox("no /usr/bin/env") }
        }
        func wrap(_ command: Command, policy: SandboxPolicy) -> Command {
            let env = command.environment.merging(["SANDBOX_MARKER": marker]) { _, b in b }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return Command("/usr/bin/env", ["-i"] + env + [command.executable] + command.arguments, environment: [:],
                           workingDirectory: policy.workingDirectory)
        }
    }

    @Test func aRuntimeDefinedOutsideSourcesWorksThroughTheProtocol() async throws {
        let type: any SandboxRuntime.Type = MarkerSandbox.self
        let runtime: any SandboxRuntime = type.make(SandboxSetup(environment: ["MARKER": "m-42"]))
        try runtime.check()
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-marker-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let policy = SandboxPolicy(writable: [dir], network: .none, gpus: false, workingDirectory: dir)
        let wrapped = runtime.wrap(Command("/bin/sh", ["-c", "echo $SANDBOX_MARKER; pwd"], environment: ["PATH": "/usr/bin:/bin"]), policy: policy)
        let (t, lines) = try await ProcessRunner().run(wrapped)
        #expect(t == .exited(0) && lines == ["m-42", dir.path], "\(t) \(lines)")
        // The protocol's defaults: nothing to tear down, no refusal of its own.
        #expect(runtime.teardown(policy: policy) == nil && runtime.startRefusal(exitCode: 127, head: ["x"]) == nil)
        #expect(runtime.kind == "test-marker" && !runtime.isolates && runtime.runsHostPrograms)
        // Unregistered, its name is refused with the registered ones listed: the one line in
        // `Sandboxes.all` is all that stands between this type and `--sandbox test-marker`.
        #expect(throws: PTBError.self) { _ = try Sandboxes.type(MarkerSandbox.kind) }
    }
}
