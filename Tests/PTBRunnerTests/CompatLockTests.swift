import Foundation
import PTBCore
import PTBRunner
import PTBTestSupport
import Testing

/// Issue 16, item 7: the original's engine versions are offered as `ptb setup --lock compat`, and
/// they must still exist on PyPI as wheels for the GPU machines ptb runs on (CPython 3.11, x86_64).
@Suite struct CompatLockTests {
    @Test func theOriginalsPinsStillResolveFromPyPI() throws {
        guard let src = TestHome.realHome else { try Integration.skip("PTB_TEST_HOME must point at a home made by `ptb setup`") }
        #expect(Setup.compatRequirements == ["vllm==0.11.0", "transformers==4.57.3", "torch==2.8.0"])
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("compat-\(UUID().uuidString.prefix(6)).json")
        defer { try? FileManager.default.removeItem(at: report) }
        // Metadata only (no 400 MB download): pip's dry run with the wheels' published metadata.
        let p = Process()
        p.executableURL = PTBHome(root: src).python
        // This interpreter is CPython 3.11 on x86_64 Linux, as the GPU machines' are.
        p.arguments = ["-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed", "--only-binary", ":all:",
                       "--quiet", "--report", report.path] + Setup.compatRequirements
        p.environment = ProcessInfo.processInfo.environment.merging(["PIP_DISABLE_PIP_VERSION_CHECK": "1"]) { $1 }
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let installs = (json["install"] as? [[String: Any]] ?? []).compactMap { $0["metadata"] as? [String: Any] }
        let found = Dictionary(uniqueKeysWithValues: installs.compactMap { m in (m["name"] as? String).map { ($0.lowercased(), m["version"] as? String ?? "") } })
        #expect(found == ["vllm": "0.11.0", "transformers": "4.57.3", "torch": "2.8.0"], "\(found)")
    }

    @Test func anUnknownLockIsAUsageError() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let r = try ptb(["setup", "--lock", "old", "--skip-env", "--skip-models"], home: h)
        #expect(r.status == 64 && r.stderr.contains("unknown lock 'old'. Valid locks: default, compat."), "\(r.stderr)")
    }
}
