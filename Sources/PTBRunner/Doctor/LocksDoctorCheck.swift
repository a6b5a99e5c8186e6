import Foundation
import PTBCore
import PTBStore

/// Advisory locks on the filesystems of the index and the runs directory: shared filesystems
/// mounted without working locks keep the index on this node instead (with a warning), and
/// make a run's `.lock` guard only against a second driver on the same node.
struct LocksDoctorCheck: DoctorCheck {
    let name = "locks"
    var probe: LockProbe = .system

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        var out: [DoctorResult] = []
        let index = ctx.harness.home.index
        let loc = IndexLocation.resolve(index, probe: probe, environment: ctx.env)
        if let w = loc.warning {
            out.append(DoctorResult(name, .warn, "index: \(w)",
                                    fix: "nothing needed; to keep one shared index instead, put PTB_HOME on a filesystem with working locks (NFSv4, or NFSv3 with lockd)"))
        } else {
            out.append(DoctorResult(name, .pass, "index \(index.path): fcntl and flock locks work"))
        }
        if case .broken(let why) = probe.probe(ctx.runsDir) {
            out.append(DoctorResult(name, .warn, "runs directory \(ctx.runsDir.path): \(why); each run directory is still claimed atomically (mkdir), but never resume one run from two nodes at once",
                                    fix: "mount it with working locks to make `ptb resume` safe across nodes"))
        } else {
            out.append(DoctorResult(name, .pass, "runs directory \(ctx.runsDir.path): fcntl and flock locks work"))
        }
        return out
    }
}
