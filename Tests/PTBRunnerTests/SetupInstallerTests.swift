import Foundation
import PTBCore
import PTBProcess
@testable import PTBRunner
import PTBTestSupport
import Testing

/// Issue 18, item 8: `ptb setup --installer uv` installs the same pins as pip, from the same places.
/// The whole environment is installed with uv in scripts/test.sh (CI's `ptb setup`) and the demo;
/// `bothInstallersForReal` runs both installers' commands on two small packages.
@Suite struct SetupInstallerTests {
    @Test func uvGetsPipsSourcesAndTheVenvsInterpreter() throws {
        let home = PTBHome(root: URL(fileURLWithPath: "/var/tmp/ptb-home-x"))
        let setup = Setup(home: home, runner: ProcessRunner(), log: { _ in })
        let env = ["PIP_FIND_LINKS": "/w1 /w2,/w3", "PIP_NO_INDEX": "1", "PIP_EXTRA_INDEX_URL": "https://a https://b", "PATH": "/usr/bin"]
        let steps = setup.installCommands(.uv, uv: "/opt/uv", requirements: ["torch==1+cpu", "x==2"], remove: ["torchvision"], env: env)
        #expect(steps.count == 2)
        let install = steps[0].1, remove = steps[1].1
        #expect(install.executable == "/opt/uv")
        #expect(install.arguments == ["pip", "install", "--python", home.python.path, "--compile-bytecode",
                                      "--find-links", "/w1", "--find-links", "/w2", "--find-links", "/w3", "--no-index",
                                      "--extra-index-url", "https://a", "--extra-index-url", "https://b", "torch==1+cpu", "x==2"])
        #expect(install.environment["UV_CACHE_DIR"] == "/var/tmp/ptb-home-x/cache/uv")
        #expect(remove.arguments == ["pip", "uninstall", "--python", home.python.path, "torchvision"])
        // A user's own uv cache is kept.
        let own = setup.installCommands(.uv, uv: "/opt/uv", requirements: ["x"], remove: [], env: ["UV_CACHE_DIR": "/c"])
        #expect(own.count == 1 && own[0].1.environment["UV_CACHE_DIR"] == "/c")
        #expect(Setup.uvArguments(pipEnv: ["PIP_NO_INDEX": "0"]).isEmpty)

        let pip = setup.installCommands(.pip, uv: nil, requirements: ["x==2"], remove: ["y"], env: env)
        #expect(pip.map(\.1.executable) == [home.pythonEnv.appendingPathComponent("bin/pip").path, home.pythonEnv.appendingPathComponent("bin/pip").path])
        #expect(pip[0].1.arguments == ["install", "--progress-bar", "off", "x==2"] && pip[1].1.arguments == ["uninstall", "-y", "y"])
    }

    @Test func anUnknownInstallerIsAUsageError() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let r = try ptb(["setup", "--installer", "conda", "--skip-models"], home: h)
        #expect(r.status == 64 && r.stderr.contains("unknown installer 'conda'. Valid installers: pip, uv."), "\(r.stderr)")
    }

    /// Without uv, `--installer uv --force` says so before it removes the existing environment.
    @Test func noUVOnPathLosesNothing() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let bin = h.home.pythonEnv.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(to: bin.appendingPathComponent("python"), atomically: true, encoding: .utf8)
        let lock = h.home.pythonEnv.appendingPathComponent("ptb-lock.txt")
        try "torch==2.13.0+cpu\n".write(to: lock, atomically: true, encoding: .utf8)
        let empty = h.root.appendingPathComponent("empty-path")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let r = try ptb(["setup", "--installer", "uv", "--force", "--skip-models"], home: h, env: ["PATH": empty.path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("`--installer uv` needs uv on PATH") && r.stderr.contains("Nothing was installed."), "\(r.stderr)")
        #expect(try String(contentsOf: lock, encoding: .utf8) == "torch==2.13.0+cpu\n")
    }

    /// ptb's own pip and uv commands, run for real into fresh venvs (two small wheels from the
    /// index, one of them removed again), leave the same `pip freeze`.
    @Test func bothInstallersForReal() async throws {
        var env = ProcessInfo.processInfo.environment
        if let t = env["PTB_TEST_HOME"] { env["PATH"] = "\(t)/tools/bin:" + (env["PATH"] ?? "/usr/bin:/bin") }
        let uv = try Integration.require(Setup.findUV(env: env), "uv is not installed: bash scripts/install-uv.sh $PTB_TEST_HOME/tools")
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env.removeValue(forKey: "PIP_FIND_LINKS")
        let runner = ProcessRunner()
        var freezes: [Setup.Installer: [String]] = [:]
        for installer in Setup.Installer.allCases {
            let root = URL(fileURLWithPath: "/var/tmp/ptb-installer-\(installer.rawValue)-\(UUID().uuidString.prefix(6))")
            defer { try? FileManager.default.removeItem(at: root) }
            let setup = Setup(home: PTBHome(root: root), runner: runner, log: { _ in })
            let (venv, _) = try await runner.run(Command("python3", ["-m", "venv", setup.home.pythonEnv.path], environment: env))
            #expect(venv.succeeded)
            for (what, command) in setup.installCommands(installer, uv: uv, requirements: ["idna==3.21", "h11==0.16.0"], remove: ["h11"], env: env) {
                let (t, lines) = try await runner.run(command)
                #expect(t.succeeded, "\(installer): \(what): \(lines.suffix(5))")
            }
            let (t, lines) = try await runner.run(Command(setup.home.python.path, ["-m", "pip", "freeze"], environment: env))
            #expect(t.succeeded)
            freezes[installer] = lines.filter { !$0.isEmpty }
            if installer == .uv {
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("cache/uv").path), "uv's cache sits in PTB_HOME")
            }
        }
        #expect(freezes[.pip] == ["idna==3.21"], "\(freezes)")
        #expect(freezes[.uv] == freezes[.pip], "\(freezes)")
    }
}
