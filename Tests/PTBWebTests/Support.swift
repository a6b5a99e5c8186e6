import Foundation
import PTBCore
import PTBTestSupport
import PTBResults
import PTBWeb
#if canImport(Glibc)
import Glibc
#endif

/// One fixture per test process (the big trace takes a few seconds to write), outside /tmp.
let fixture: (root: URL, layout: WebFixture.Layout) = {
    let scratch = URL(fileURLWithPath: "/var/tmp")
    // Fixtures of earlier test processes that are gone (each holds 100+ MB of traces).
    for name in (try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? [] where name.hasPrefix("ptb-web-tests-") {
        if let pid = Int32(name.dropFirst("ptb-web-tests-".count)), kill(pid, 0) != 0 {
            try? FileManager.default.removeItem(at: scratch.appendingPathComponent(name))
        }
    }
    let root = scratch.appendingPathComponent("ptb-web-tests-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.removeItem(at: root)
    let layout = try! WebFixture.write(to: root, traceMB: 50)
    return (root, layout)
}()

func site(token: String? = nil) -> WebSite {
    WebSite(config: WebConfig(runsDirs: [fixture.layout.runsDir], importStore: ImportStore(home: PTBHome(root: fixture.layout.home)),
                              bootstrap: 200, token: token))
}

extension WebSite {
    func get(_ pathAndQuery: String) -> WebPage {
        let parts = pathAndQuery.split(separator: "?", maxSplits: 1)
        return respond(path: String(parts[0]), query: WebServer.parseQuery(parts.count > 1 ? String(parts[1]) : nil))
    }
}

func count(_ needle: String, in s: String) -> Int { s.components(separatedBy: needle).count - 1 }

struct TestFailure: Error, CustomStringConvertible {
    var description: String
}
