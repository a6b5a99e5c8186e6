import Foundation
import PTBAgents
import PTBSandbox
import Testing

/// containers/ptb.lock is the one lock of both image definitions: the base images are build
/// arguments whose defaults are written into them literally, so this keeps the three equal.
@Suite struct ContainerLockTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("containers")

    func read(_ name: String) throws -> String { try String(contentsOf: Self.dir.appendingPathComponent(name), encoding: .utf8) }

    func value(_ key: String, in text: String, prefix: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + key) }.map { String($0.dropFirst(prefix.count + key.count)) }
    }

    @Test func baseImageAndVersionsComeFromTheLock() throws {
        let lock = try read("ptb.lock"), containerfile = try read("Containerfile"), def = try read("ptb.def")
        for key in ["BASE_IMAGE", "SWIFT_IMAGE"] {
            let v = try #require(value("\(key)=", in: lock, prefix: ""))
            #expect(value("\(key)=", in: containerfile, prefix: "ARG ") == v, "Containerfile ARG \(key)")
            #expect(value("\(key)=", in: def, prefix: "    ") == v, "ptb.def %arguments \(key)")
            #expect(ContainerLock(text: lock).values[key] == v)
        }
        // The base images are build arguments, not literals.
        #expect(def.contains("From: {{ BASE_IMAGE }}") && def.contains("From: {{ SWIFT_IMAGE }}"))
        #expect(containerfile.contains("FROM ${BASE_IMAGE} AS eval") && containerfile.contains("FROM ${SWIFT_IMAGE} AS ptb-build"))
        // ptb itself is built inside, statically linked against the Swift runtime, and on PATH.
        for text in [containerfile, def] {
            #expect(text.contains("swift build -c release --static-swift-stdlib --product ptb"))
            // evaluate.py runs the image's ptb, which serves with the image's venv.
            #expect(text.contains("PTB_EXECUTABLE=/opt/ptb/bin/ptb PTB_PYTHON=/opt/ptb/venv/bin/python"))
        }
        for key in ["GEMINI_CLI_VERSION", "OPENCODE_VERSION", "PIP_EVAL", "PIP_AGENT", "NODE_MAJOR"] {
            #expect(lock.contains("\n\(key)="), "\(key) is in the lock")
            #expect(containerfile.contains(key) && def.contains(key), "\(key) is read by both image definitions")
        }
        // Every Python requirement is pinned exactly.
        for key in ["PIP_EVAL", "PIP_AGENT"] {
            let reqs = try #require(value("\(key)=", in: lock, prefix: "")).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            for r in reqs.split(separator: " ") { #expect(r.contains("=="), "\(r) is pinned") }
        }
    }

    /// Claude Code and Codex come into the agent image from their pinned PyPI wheels through
    /// install-agent-clis.sh (the lock's pins, the same as `ptb setup --agents`), never from npm;
    /// npm stays for the two CLIs that exist only there.
    @Test func agentImageInstallsThePinnedWheelsNotNpm() throws {
        let containerfile = try read("Containerfile"), def = try read("ptb.def"), script = try read("install-agent-clis.sh")
        let lock = ContainerLock(text: try read("ptb.lock"))
        #expect(containerfile.contains("COPY containers/install-agent-clis.sh /opt/ptb/install-agent-clis.sh"))
        #expect(containerfile.contains("sh /opt/ptb/install-agent-clis.sh /opt/ptb/ptb.lock /opt/ptb/agents /usr/local/bin"))
        #expect(def.contains("containers/install-agent-clis.sh /opt/ptb/install-agent-clis.sh"))
        #expect(def.contains("sh /opt/ptb/install-agent-clis.sh /opt/ptb/ptb.lock /opt/ptb/agents /usr/local/bin"))
        for text in [containerfile, def] {
            #expect(!text.contains("@anthropic-ai/claude-code") && !text.contains("@openai/codex"), "no npm install of Claude Code or Codex")
            #expect(text.contains("npm install -g \"@google/gemini-cli@${GEMINI_CLI_VERSION}\" \"opencode-ai@${OPENCODE_VERSION}\""))
            #expect(text.contains("claude --version && codex --version"))
        }
        #expect(lock.values["CLAUDE_CODE_VERSION"] == nil && lock.values["CODEX_VERSION"] == nil, "the npm pins of the two are gone")
        // The script installs each pin with the lock's values and ptb's own layout (member, executable).
        #expect(!AgentBinaries.pins.isEmpty)
        for pin in AgentBinaries.pins {
            let prefix = pin.lockPrefix
            #expect(lock.values["\(prefix)_BINARY_SHA256"] == pin.executableSHA256, "\(prefix)_BINARY_SHA256")
            let call = "install_cli \(pin.installName) \"$\(prefix)_WHEEL\" \"$\(prefix)_WHEEL_SHA256\" \"$\(prefix)_WHEEL_CLI_VERSION\" \\\n"
                + "    \(pin.member) \(pin.executable) \"$\(prefix)_BINARY_SHA256\""
            #expect(script.contains(call), "install-agent-clis.sh installs \(pin.installName) as AgentBinaries.pins says")
        }
        #expect(script.contains("--only-binary=:all: --platform \"$PLATFORM\"") && script.contains("PLATFORM=\(AgentBinaries.platform)"))
        #expect(script.contains("ln -sfn \"$dir/$exe\" \"$DESTDIR$BIN/$(basename \"$exe\")\""))
    }

    /// The sandboxes set PATH to the images' own (Sandboxes.imagePath): both definitions must say the same.
    @Test func imagePathMatchesTheSandboxDefault() throws {
        let containerfile = try read("Containerfile"), def = try read("ptb.def")
        #expect(containerfile.contains("PATH=\(Sandboxes.imagePath)"))
        #expect(def.contains("export PATH=\(Sandboxes.imagePath)\n"))
    }
}

extension AgentBinaryPin {
    /// The pin's keys in containers/ptb.lock: `claude-code` → `CLAUDE_CODE_WHEEL`, `CLAUDE_CODE_BINARY_SHA256`, ….
    var lockPrefix: String { installName.uppercased().replacingOccurrences(of: "-", with: "_") }
}
