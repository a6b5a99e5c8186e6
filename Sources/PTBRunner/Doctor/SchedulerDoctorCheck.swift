import Foundation
import PTBCore
import PTBProcess

/// The cluster's scheduler, when a sweep will be submitted to it. What to run comes from the
/// backend's own file (`SweepBackend.doctorProbe`), through the context.
struct SchedulerDoctorCheck: DoctorCheck {
    let name = "scheduler"

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        let probed = ctx.backends.filter { ctx.schedulerProbes[$0] != nil }
        guard let backend = ctx.backend else {
            return [DoctorResult(name, .skip, "no scheduler chosen (--backend \(probed.joined(separator: "|")) checks one)")]
        }
        guard ctx.backends.contains(backend) else {
            return [DoctorResult(name, .fail, "unknown backend '\(backend)'", fix: "use --backend \(ctx.backends.orList())")]
        }
        guard let p = ctx.schedulerProbes[backend], let exe = p.command.first else {
            return [DoctorResult(name, .skip, "\(backend) backend: no scheduler needed")]
        }
        return [await probe(ctx, Command(exe, Array(p.command.dropFirst()), environment: ctx.env), what: p.what, fix: p.fix)]
    }

    func probe(_ ctx: DoctorContext, _ c: Command, what: String, fix: String) async -> DoctorResult {
        let (t, lines) = await ctx.run(c, seconds: 30)
        guard let t, t.succeeded else {
            return DoctorResult(name, .fail, "\(what) is not reachable: `\(c.display)` " + (t.map { "ended \($0)" } ?? "did not start") + (lines.last.map { ": \($0)" } ?? ""), fix: fix)
        }
        return DoctorResult(name, .pass, "\(what) answers: " + lines.prefix(3).joined(separator: "; "))
    }
}
